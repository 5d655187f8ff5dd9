using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests.Data;

public sealed class LabelledDatasetTests
{
    private static string Shared(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "shared/data", relative))) return Path.Combine(dir.FullName, "shared/data", relative);
        throw new FileNotFoundException(relative);
    }

    private static string Temp(string contents, string extension = ".csv")
    {
        var path = Path.Combine(Path.GetTempPath(), $"sweep-data-{Guid.NewGuid():N}{extension}");
        File.WriteAllText(path, contents);
        return path;
    }

    private static readonly DataSettings Extremism = new()
    {
        Train = "", TextColumn = "Original_Message", LabelColumns = ["Extremism_Label"], IdColumn = "ID",
        LabelMap = new Dictionary<string, int> { ["NON_EXTREMIST"] = 0, ["EXTREMIST"] = 1 },
    };

    [Fact]
    public void The_extremism_data_loads_with_its_own_label_names()
    {
        var data = LabelledDataset.Load(Extremism, Shared("extremism/train.csv"));
        Assert.Equal(TaskKind.Binary, data.Kind);
        Assert.Equal(2250, data.Count + data.DroppedRows);
        Assert.Equal(["NON_EXTREMIST", "EXTREMIST"], data.ClassNames);
        Assert.InRange(data.Classes.Count(c => c == 1), 1149 - data.DroppedRows, 1149); // README: 1,149 EXTREMIST
        Assert.True(data.DroppedRows < 10, $"{data.DroppedRows} rows dropped");
        Assert.Equal("1", data.Ids[0]);
    }

    [Fact]
    public void Jigsaw_with_six_label_columns_and_a_bom_loads_as_multi_label()
    {
        string[] labels = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"];
        var data = LabelledDataset.Load(new DataSettings { Train = "", TextColumn = "comment_text", LabelColumns = labels, IdColumn = "id" }, Shared("jigsaw/train_head99.csv"));
        Assert.Equal(TaskKind.MultiLabel, data.Kind);
        Assert.Equal(99, data.Count + data.DroppedRows);
        Assert.All(data.Labels, l => Assert.Equal(6, l.Length));
        Assert.Equal(labels, data.ClassNames);
    }

    [Fact]
    public void A_tsv_with_integer_labels_loads_without_a_label_map()
    {
        var data = LabelledDataset.Load(new DataSettings { Train = "", TextColumn = "SentimentText", LabelColumns = ["Sentiment"] },
            Shared("wikipedia-detox-250/wikipedia-detox-250-line-data.tsv"));
        Assert.Equal(TaskKind.Binary, data.Kind);
        // pandas.read_csv(sep='\t') reads 246 rows, 157 toxic: four quoted comments span several lines each.
        Assert.Equal(246, data.Count + data.DroppedRows);
        Assert.InRange(data.Classes.Count(c => c == 1), 157 - data.DroppedRows, 157);
    }

    [Fact]
    public void Quoted_fields_hold_delimiters_quotes_and_line_breaks()
    {
        var path = Temp("\uFEFFid,text,label\r\n1,\"a, b\",0\r\n2,\"she said \"\"hi\"\"\",1\r\n3,\"two\nlines\",0\r\n");
        var data = LabelledDataset.Load(new DataSettings { Train = path, IdColumn = "id" });
        Assert.Equal(["a, b", "she said \"hi\"", "two lines"], data.Texts);
        Assert.Equal([0, 1, 0], data.Classes);
    }

    [Theory]
    [InlineData("text,label\nhello,0\nworld,1\n", "nope", "label", "column 'nope': no such column (the file has: text, label)")]
    [InlineData("text,label\nhello,0\nworld,2x\n", "text", "label", ":3: row 2, column 'label': label '2x' is not a class index")]
    [InlineData("text,label\nhello,0\nworld\n", "text", "label", ":3: row 2: has 1 fields but the header has 2")]
    [InlineData("", "text", "label", "the file is empty")]
    [InlineData("text,label\n\"open,0\n", "text", "label", "a quoted field is never closed")]
    public void Bad_data_is_an_error_naming_the_file_row_and_column(string contents, string textColumn, string labelColumn, string expected)
    {
        var path = Temp(contents);
        var e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(new DataSettings { Train = path, TextColumn = textColumn, LabelColumns = [labelColumn] }));
        Assert.StartsWith(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void An_unknown_label_names_the_known_ones()
    {
        var path = Temp("text,label\nhello,EXTREMIST\nworld,MAYBE\n");
        var e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(Extremism with { Train = path, TextColumn = "text", LabelColumns = ["label"], IdColumn = null }));
        Assert.Contains("row 2, column 'label': unknown label 'MAYBE' (label_map knows NON_EXTREMIST, EXTREMIST)", e.Message);
    }

    [Fact]
    public void Cleaning_cuts_long_runs_and_collapses_space_and_short_rows_are_dropped()
    {
        Assert.Equal("sooo good!!!", TextCleaner.Clean("  soooooooo   good!!!!!!  "));
        var path = Temp("text,label\nok fine,0\n   ,1\nx,1\nall good,1\n");
        var data = LabelledDataset.Load(new DataSettings { Train = path, MinTextLength = 2 });
        Assert.Equal(2, data.Count);
        Assert.Equal(2, data.DroppedRows);
    }
}

public sealed class DataSplitsTests
{
    [Fact]
    public void Stratified_folds_partition_the_development_rows_and_keep_class_ratios()
    {
        var strata = Enumerable.Range(0, 1000).Select(i => i % 10 < 3 ? 1 : 0).ToArray(); // 30% positives
        var splits = DataSplits.Stratified(strata, 0.1, 5, seed: 42);
        Assert.Equal(100, splits.HeldOut.Length);
        Assert.Equal(30, splits.HeldOut.Count(i => strata[i] == 1));
        var validationRows = splits.Folds.SelectMany(f => f.Validation).ToList();
        Assert.Equal(900, validationRows.Count);
        Assert.Equal(900, validationRows.Distinct().Count());
        Assert.Empty(validationRows.Intersect(splits.HeldOut));
        foreach (var fold in splits.Folds)
        {
            Assert.InRange(fold.Validation.Count(i => strata[i] == 1), 53, 55);
            Assert.Empty(fold.Train.Intersect(fold.Validation));
            Assert.Empty(fold.Train.Intersect(splits.HeldOut));
            Assert.Equal(900, fold.Train.Length + fold.Validation.Length);
        }
    }

    [Fact]
    public void Splits_are_deterministic_by_seed_and_one_fold_validates_on_a_fifth()
    {
        var strata = Enumerable.Range(0, 200).Select(i => i % 2).ToArray();
        Assert.Equal(DataSplits.Stratified(strata, 0.2, 3, 7).HeldOut, DataSplits.Stratified(strata, 0.2, 3, 7).HeldOut);
        Assert.NotEqual(DataSplits.Stratified(strata, 0.2, 3, 7).HeldOut, DataSplits.Stratified(strata, 0.2, 3, 8).HeldOut);
        var single = DataSplits.Stratified(strata, 0.2, 1, 7);
        var fold = Assert.Single(single.Folds);
        Assert.Equal(32, fold.Validation.Length);
        Assert.Equal(128, fold.Train.Length);
    }
}
