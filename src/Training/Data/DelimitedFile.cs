using System.Text;

namespace SweepCluster.Training.Data;

/// <summary>One data row with where it came from, for error messages.</summary>
public sealed record DelimitedRow(int Number, int Line, IReadOnlyList<string> Fields);

/// <summary>
/// RFC 4180 CSV: quoted fields may hold delimiters, doubled quotes and line breaks. TSV follows its own
/// convention, one record per line and no quoting, so a quote inside a text stays a quote. A UTF-8 BOM
/// and CRLF line ends are accepted. Rows are numbered from 1 after the header; lines are physical lines.
/// </summary>
public static class DelimitedFile
{
    public static char DelimiterFor(string path, string? configured) =>
        configured is { Length: 1 } d ? d[0]
        : configured == "\\t" ? '\t'
        : Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';

    public static (IReadOnlyList<string> Header, List<DelimitedRow> Rows) Read(string path, char delimiter)
    {
        if (!File.Exists(path)) throw new DataFileException(path, null, null, "file not found");
        var text = File.ReadAllText(path, Encoding.UTF8);
        var records = Parse(text, delimiter, path);
        if (records.Count == 0 || records[0].Fields.All(string.IsNullOrWhiteSpace)) throw new DataFileException(path, null, null, "the file is empty (no header row)");
        var header = records[0].Fields.Select(h => h.Trim()).ToList();
        var rows = new List<DelimitedRow>();
        for (var i = 1; i < records.Count; i++)
        {
            var (line, fields) = records[i];
            if (fields.Count == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Count != header.Count)
                throw new DataFileException(path, i, line, $"has {fields.Count} fields but the header has {header.Count}");
            rows.Add(new DelimitedRow(i, line, fields));
        }
        return (header, rows);
    }

    private static List<(int Line, List<string> Fields)> Parse(string text, char delimiter, string path)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var quoted = false;
        var i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else { if (c == '\n') line++; field.Append(c); }
                continue;
            }
            if (c == '"' && field.Length == 0 && delimiter != '\t') quoted = true;
            else if (c == delimiter) { fields.Add(field.ToString()); field.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                records.Add((recordLine, fields));
                fields = [];
                recordLine = ++line;
            }
            else field.Append(c);
        }
        if (quoted) throw new DataFileException(path, records.Count, recordLine, "a quoted field is never closed");
        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields));
        }
        return records;
    }
}

/// <summary>A problem in a data file, naming the file and, where known, the row, line and column.</summary>
public sealed class DataFileException(string path, int? row, int? line, string problem, string? column = null)
    : Exception(Format(path, row, line, problem, column))
{
    public string Path { get; } = path;
    public int? Row { get; } = row;
    public string? Column { get; } = column;

    private static string Format(string path, int? row, int? line, string problem, string? column) =>
        $"{path}{(line is int l ? $":{l}" : "")}: {(row is int r ? $"row {r}" : "")}{(column is null ? "" : $"{(row is null ? "" : ", ")}column '{column}'")}{(row is null && column is null ? "" : ": ")}{problem}";
}
