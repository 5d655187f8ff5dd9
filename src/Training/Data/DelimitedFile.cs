using System.Data;
using System.Globalization;
using System.Text;
using Sylvan.Data.Csv;
using SweepCluster.Training.Storage;

namespace SweepCluster.Training.Data;

/// <summary>One data row with where it came from, for error messages: row N after the header, starting on physical line L.</summary>
public sealed record DelimitedRow(int Number, int Line, IReadOnlyList<string> Fields);

/// <summary>
/// CSV and TSV as pandas (to_csv), Python's csv module and spreadsheet programs write them, read and written
/// with Sylvan.Data.Csv: a field may be quoted, and a quoted field may hold the delimiter, doubled quotes
/// ("He said ""hi""") and line breaks; a quote inside an unquoted field is an ordinary character, and text
/// after a closing quote continues the field (both as in pandas and Python's csv); TSV is quoted the same way. Line ends may be \n, \r\n or \r (old Mac); a UTF-8 BOM is skipped;
/// blank lines are skipped. Rows are numbered from 1 after the header, blank lines counted; lines are the
/// physical lines of the file, so a row after a two-line field starts two lines on.
/// </summary>
public static class DelimitedFile
{
    /// <summary>The configured delimiter (one character, or "\t"), else tab for .tsv and comma otherwise.</summary>
    public static char DelimiterFor(string path, string? configured) =>
        configured is { Length: 1 } d ? d[0]
        : configured == "\\t" ? '\t'
        : Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';

    /// <summary>The header (names trimmed) and the non-blank rows, each with as many fields as the header.</summary>
    /// <exception cref="DataFileException">
    /// The file is missing or empty, a row has another number of fields than the header, or its quoting is
    /// malformed (a quoted field never closed, text after a closing quote); the message names file, line and row.
    /// </exception>
    public static (IReadOnlyList<string> Header, List<DelimitedRow> Rows) Read(string path, char delimiter)
    {
        if (!File.Exists(path)) throw new DataFileException(path, null, null, "file not found");
        using var text = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        using var csv = CsvDataReader.Create(text, new CsvDataReaderOptions
        {
            HasHeaders = false, // read as a record like any other: the header may repeat names or be blank, which we report ourselves
            Delimiter = delimiter,
            // As Python's csv and pandas (not strict): text after a closing quote continues the field ("ab"c → abc).
            CsvStyle = CsvStyle.Lax,
            MaxBufferSize = 64 << 20, // one record (a long text with its row) may exceed the default 64K buffer
        });
        IReadOnlyList<string>? header = null;
        var rows = new List<DelimitedRow>();
        var record = 0;
        var line = 1;
        while (true)
        {
            try
            {
                if (!csv.Read()) break;
            }
            catch (CsvFormatException e)
            {
                var column = header is not null && e.FieldOrdinal >= 0 && e.FieldOrdinal < header.Count ? header[e.FieldOrdinal] : null;
                var problem = e.Message.Contains("without a closing quote", StringComparison.Ordinal)
                    ? "a quoted field is never closed (a quote opens it and no quote ends it before the end of the file)"
                    : $"malformed quoting ({e.Message}); a quote that starts a field must end it, doubled inside it";
                throw new DataFileException(path, header is null ? null : record + 1, line, problem, column); // the record being read
            }
            var raw = csv.GetRawRecordSpan();
            // Lax mode reads an unclosed quote to the end of the file; pandas refuses that ("EOF inside string"), so do we.
            if (IsUnclosed(raw, delimiter))
                throw new DataFileException(path, header is null ? null : record + 1, line,
                    "a quoted field is never closed (a quote opens it and no quote ends it before the end of the file)");
            var fields = new string[csv.RowFieldCount];
            for (var i = 0; i < fields.Length; i++) fields[i] = csv.GetString(i);
            var startLine = line;
            line += LineBreaks(raw);
            if (header is null)
            {
                if (fields.All(string.IsNullOrWhiteSpace)) throw new DataFileException(path, null, null, "the file is empty (no header row)");
                header = fields.Select(h => h.Trim()).ToList();
                continue;
            }
            record++;
            if (fields.Length == 0 || (fields.Length == 1 && fields[0].Length == 0)) continue; // blank line
            if (fields.Length != header.Count)
                throw new DataFileException(path, record, startLine, $"has {fields.Length} fields but the header has {header.Count}");
            rows.Add(new DelimitedRow(record, startLine, fields));
        }
        if (header is null) throw new DataFileException(path, null, null, "the file is empty (no header row)");
        return (header, rows);
    }

    // Whether a record ends inside a quoted field (quotes as Python's csv reads them: only a field's first character opens one).
    private static bool IsUnclosed(ReadOnlySpan<char> raw, char delimiter)
    {
        if (raw.IndexOf('"') < 0) return false;
        bool quoted = false, fieldStart = true;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (quoted)
            {
                if (c != '"') continue;
                if (i + 1 < raw.Length && raw[i + 1] == '"') i++;
                else quoted = false;
            }
            else if (c == '"' && fieldStart) quoted = true;
            fieldStart = !quoted && (c == delimiter || (c is '\r' or '\n'));
        }
        return quoted;
    }

    // Physical lines a record spans: \r\n, \r and \n each end one line (the record's own terminator included).
    private static int LineBreaks(ReadOnlySpan<char> raw)
    {
        var count = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\n') count++;
            else if (raw[i] == '\r')
            {
                count++;
                if (i + 1 < raw.Length && raw[i + 1] == '\n') i++;
            }
        }
        return count;
    }

    /// <summary>
    /// The rows as CSV (or TSV) text the way pandas writes it: fields holding the delimiter, a quote or a line
    /// break are quoted with quotes doubled, lines end with \n, no BOM. pandas.read_csv(keep_default_na=False)
    /// and Python's csv module give back every field unchanged.
    /// </summary>
    public static string Format(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, char delimiter = ',')
    {
        using var table = new DataTable();
        foreach (var _ in header) table.Columns.Add(new DataColumn { DataType = typeof(string) });
        // The header goes through the writer as the first record: DataTable column names cannot repeat or be empty.
        table.Rows.Add(header.Cast<object>().ToArray());
        foreach (var row in rows)
        {
            if (row.Count != header.Count) throw new ArgumentException($"a row has {row.Count} fields but the header has {header.Count}", nameof(rows));
            table.Rows.Add(row.Cast<object>().ToArray());
        }
        var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var writer = CsvDataWriter.Create(text, new CsvDataWriterOptions { Delimiter = delimiter, NewLine = "\n", WriteHeaders = false, Culture = CultureInfo.InvariantCulture }))
            writer.Write(table.CreateDataReader());
        return text.ToString();
    }

    /// <summary>Writes <see cref="Format"/>'s text to <paramref name="path"/> atomically (readers never see half a file).</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, char delimiter = ',') =>
        AtomicFile.WriteAllText(path, Format(header, rows, delimiter));
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
