using System.Diagnostics;
using System.Text.Json;
using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests.Data;

/// <summary>
/// CSV and TSV as other tools write them (issue 10, kind 5). Every expected value below is what Python's csv
/// module reads from the same bytes (csv.reader(io.StringIO(text, newline=''), delimiter=...), CPython 3.11;
/// encoding utf-8-sig for the BOM case), never our own output; the writer is checked by reading its files
/// back with pandas (Debian's python3-pandas) or, where pandas is missing, Python's csv module.
/// </summary>
public sealed class DelimitedFileTests
{
    private static string Temp(string contents, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sweep-delimited-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, contents);
        return path;
    }

    private static List<string[]> All(string path, char delimiter)
    {
        var (header, rows) = DelimitedFile.Read(path, delimiter);
        return [header.ToArray(), .. rows.Select(r => r.Fields.ToArray())];
    }

    [Fact]
    public void A_tsv_quoted_as_pandas_writes_it_gives_the_texts_without_quotes()
    {
        var path = Temp("id\ttext\tlabel\n1\t\"He said \"\"hi\"\"\"\tA\n2\t\"two\nlines\"\tB\n3\tplain \"quoted\" word\tA\n4\t\"tab\there\"\tB\n", ".tsv");
        Assert.Equal(
            [["id", "text", "label"], ["1", "He said \"hi\"", "A"], ["2", "two\nlines", "B"], ["3", "plain \"quoted\" word", "A"], ["4", "tab\there", "B"]],
            All(path, DelimitedFile.DelimiterFor(path, null)));
    }

    [Fact]
    public void Text_after_a_closing_quote_continues_the_field_as_in_python()
    {
        var path = Temp("id,text\n1,\"ab\"c d\n2,x\"y\n", ".csv");
        Assert.Equal([["id", "text"], ["1", "abc d"], ["2", "x\"y"]], All(path, ','));
    }

    [Fact]
    public void A_real_tsv_reads_as_pandas_reads_it()
    {
        // The Wikipedia detox sample holds quoted comments with doubled quotes and text after a closing quote.
        var path = Tokenization.TokenizerFiles.Find("shared/data/wikipedia-detox-250/wikipedia-detox-250-line-data.tsv");
        Assert.Equal(ReadWithPython(path, '\t'), All(path, '\t'));
    }

    [Fact]
    public void A_crlf_tsv_keeps_the_line_break_inside_a_quoted_field()
    {
        var path = Temp("id\ttext\r\n1\t\"a\r\nb\"\r\n2\tc\r\n", ".tsv");
        Assert.Equal([["id", "text"], ["1", "a\r\nb"], ["2", "c"]], All(path, '\t'));
    }

    [Fact]
    public void Old_mac_line_ends_are_line_ends()
    {
        var path = Temp("id,text\r1,\"x\ry\"\r2,z\r", ".csv");
        Assert.Equal([["id", "text"], ["1", "x\ry"], ["2", "z"]], All(path, ','));
    }

    [Fact]
    public void A_bom_and_quoted_header_names_give_the_plain_names()
    {
        var path = Temp("\uFEFF\"id\",\"the text\"\n1,\"a, b\"\n", ".csv");
        Assert.Equal([["id", "the text"], ["1", "a, b"]], All(path, ','));
    }

    [Fact]
    public void A_labelled_tsv_with_quoted_texts_loads()
    {
        var path = Temp("text\tlabel\n\"He said \"\"hi\"\"\"\t0\n\"two\nlines\"\t1\n", ".tsv");
        var data = LabelledDataset.Load(new DataSettings { Train = path });
        Assert.Equal(["He said \"hi\"", "two lines"], data.Texts); // LabelledDataset's cleaning makes the line break a space
        Assert.Equal([0, 1], data.Classes);
    }

    [Theory]
    // Row N counts records after the header; the line is the physical line where the row starts.
    [InlineData("id,text\n1,\"two\nlines\"\n2\n", ":4: row 2: has 1 fields but the header has 2")]
    [InlineData("id,text\r\n1,\"a\r\nb\r\nc\"\r\n2,x,y\r\n", ":5: row 2: has 3 fields but the header has 2")]
    [InlineData("id,text\r1,\"a\rb\"\r2,x,y\r", ":4: row 2: has 3 fields but the header has 2")]
    [InlineData("id,text\n\n1,x\n2\n", ":4: row 3: has 1 fields but the header has 2")]
    [InlineData("id,text\n1,x\n2,\"open\n3,y\n", ":3: row 2")]
    [InlineData("id,text\n1,x\n2,\"open\n3,y\n", "a quoted field is never closed")]
    [InlineData("", "the file is empty")]
    [InlineData("\n\n", "the file is empty")]
    public void Errors_name_the_file_physical_line_and_row(string contents, string expected)
    {
        var path = Temp(contents, ".csv");
        var e = Assert.Throws<DataFileException>(() => DelimitedFile.Read(path, ','));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Rows_keep_their_physical_line_after_multi_line_fields()
    {
        var path = Temp("id,text\r\n1,\"a\r\nb\"\r\n\r\n2,c\r\n", ".csv");
        var (_, rows) = DelimitedFile.Read(path, ',');
        Assert.Equal([(1, 2), (3, 5)], rows.Select(r => (r.Number, r.Line)));
    }

    public static TheoryData<char> Delimiters => new() { ',', '\t' };

    private static readonly string[] Header = ["id", "text, with comma", "p_\"quoted\""];

    private static readonly string[][] Rows =
    [
        ["1", "plain", "0.5"],
        ["a,b", "He said \"hi\"", "0.25"],
        ["tab\tid", "two\nlines and\r\nwindows ones", "1"],
        ["4", "naïve café — Дмитрий 中文 😀", ""],
        ["5", " leading and trailing spaces ", "NA"],
        ["6", "\"", "#"],
    ];

    [Theory]
    [MemberData(nameof(Delimiters))]
    public void Written_files_read_back_unchanged_by_pandas_and_by_us(char delimiter)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sweep-written-{Guid.NewGuid():N}{(delimiter == '\t' ? ".tsv" : ".csv")}");
        DelimitedFile.Write(path, Header, Rows, delimiter);

        Assert.Equal([Header, .. Rows], All(path, delimiter));
        Assert.Equal([Header, .. Rows], ReadWithPython(path, delimiter));
    }

    /// <summary>pandas.read_csv (dtype=str, keep_default_na=False: every field as text) or, without pandas, csv.reader.</summary>
    internal static List<string[]> ReadWithPython(string path, char delimiter)
    {
        const string script = """
            import json, sys
            path, sep = sys.argv[1], sys.argv[2]
            try:
                import pandas
                frame = pandas.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
                rows = [list(frame.columns)] + frame.values.tolist()
            except ImportError:
                import csv
                with open(path, newline='', encoding='utf-8') as f:
                    rows = list(csv.reader(f, delimiter=sep))
            print(json.dumps(rows))
            """;
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "-c", script, path, delimiter.ToString() }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, error);
        return JsonSerializer.Deserialize<List<string[]>>(output)!;
    }
}
