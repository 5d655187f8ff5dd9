using SweepCluster.Training.Data;

namespace SweepCluster.Training.Tests.Data;

/// <summary>
/// Data that every trial would fail on is refused when it is loaded and split, naming the class, its
/// counts and the setting (issue 10, kind 3). The expected limits are those of stratified k-fold as
/// scikit-learn's StratifiedKFold states them: every class needs at least n_splits members.
/// </summary>
public sealed class StudyDataRequirementsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sweep-data-requirements-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Csv(IEnumerable<string> labels, string header = "text,label")
    {
        var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, [header, .. labels.Select((l, i) => $"message number {i} about something,{l}")]);
        return path;
    }

    private static (LabelledDataset, DataSplits) Split(DataSettings spec, int folds, bool scoresHeldOut = true)
    {
        var dataset = LabelledDataset.Load(spec);
        var splits = DataSplits.Stratified(dataset.Strata(), spec.HoldoutFraction, folds, seed: 1);
        splits.CheckCoverage(dataset, folds, spec.HoldoutFraction, scoresHeldOut, spec.LabelColumns[0]);
        return (dataset, splits);
    }

    [Fact]
    public void Labels_0_and_2_without_a_label_map_are_refused_naming_class_1()
    {
        var path = Csv(Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "0" : "2"));
        var e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(new DataSettings { Train = path }));
        Assert.Contains("column 'label'", e.Message);
        Assert.Contains("class 1 has no rows (the rows have 0, 2)", e.Message);
    }

    [Fact]
    public void One_class_with_a_label_map_is_refused_as_without_one()
    {
        var path = Csv(Enumerable.Repeat("NON_EXTREMIST", 14));
        var map = new Dictionary<string, int> { ["NON_EXTREMIST"] = 0, ["EXTREMIST"] = 1 };
        var e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(new DataSettings { Train = path, LabelMap = map }));
        Assert.Contains("only one class occurs ('NON_EXTREMIST', 14 rows)", e.Message);

        var unmapped = Csv(Enumerable.Repeat("0", 14));
        e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(new DataSettings { Train = unmapped }));
        Assert.Contains("only one class occurs ('0', 14 rows)", e.Message);
    }

    [Fact]
    public void A_label_map_entry_no_row_uses_is_refused_by_name()
    {
        var path = Csv(Enumerable.Range(0, 20).Select(i => i % 2 == 0 ? "hate" : "none"));
        var map = new Dictionary<string, int> { ["none"] = 0, ["hate"] = 1, ["offensive"] = 2 };
        var e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(new DataSettings { Train = path, LabelMap = map }));
        Assert.Contains("label_map names 'offensive' (class 2), but no row has it", e.Message);
    }

    [Fact]
    public void A_class_with_fewer_rows_than_folds_is_refused_saying_which_and_how_many()
    {
        // 1 positive in 14 rows: round(0.2 · 1) = 0 of it held out, so 1 row for 5 folds.
        var path = Csv(Enumerable.Range(0, 14).Select(i => i == 6 ? "1" : "0"));
        var e = Assert.Throws<DataFileException>(() => Split(new DataSettings { Train = path, HoldoutFraction = 0.2 }, folds: 5));
        Assert.Contains("column 'label'", e.Message);
        Assert.Contains("class '1' has 1 rows outside the held-out set (1 in all, 0 held out), fewer than cv_folds 5", e.Message);
    }

    [Fact]
    public void More_folds_than_rows_is_refused()
    {
        // 7 + 7 rows, round(0.2 · 7) = 1 of each held out: 12 rows remain for 20 folds.
        var path = Csv(Enumerable.Range(0, 14).Select(i => (i % 2).ToString()));
        var e = Assert.Throws<DataFileException>(() => Split(new DataSettings { Train = path, HoldoutFraction = 0.2 }, folds: 20));
        Assert.Contains("cv_folds 20 needs at least 20 rows to validate on, but 12 remain (14 usable rows, 2 held out)", e.Message);
    }

    [Fact]
    public void A_held_out_set_without_a_class_is_refused_only_when_it_is_scored()
    {
        // 3 positives in 40 rows: round(0.1 · 3) = 0 held out; 3 folds each validate on one of them.
        var path = Csv(Enumerable.Range(0, 40).Select(i => i % 13 == 0 && i > 0 ? "1" : "0"));
        var spec = new DataSettings { Train = path, HoldoutFraction = 0.1 };
        var e = Assert.Throws<DataFileException>(() => Split(spec, folds: 3, scoresHeldOut: true));
        Assert.Contains("data.holdout_fraction 0.1 holds out no row of class '1' (3 in all)", e.Message);
        var (_, splits) = Split(spec, folds: 3, scoresHeldOut: false);
        Assert.All(splits.Folds, f => Assert.Single(f.Validation, i => i % 13 == 0 && i > 0));
    }

    [Fact]
    public void Exactly_as_many_rows_of_a_class_as_folds_is_enough()
    {
        var path = Csv(Enumerable.Range(0, 30).Select(i => i < 5 ? "1" : "0"));
        var (dataset, splits) = Split(new DataSettings { Train = path, HoldoutFraction = 0 }, folds: 5, scoresHeldOut: false);
        Assert.All(splits.Folds, f => Assert.Single(f.Validation, i => dataset.Classes[i] == 1));
    }

    [Fact]
    public void Multi_label_data_whose_every_column_is_constant_is_refused()
    {
        var path = Path.Combine(_folder, "multi.csv");
        File.WriteAllLines(path, ["text,toxic,threat", .. Enumerable.Range(0, 10).Select(i => $"row {i} text,0,0")]);
        var e = Assert.Throws<DataFileException>(() => LabelledDataset.Load(new DataSettings { Train = path, LabelColumns = ["toxic", "threat"] }));
        Assert.Contains("every label column is constant over the 10 rows", e.Message);
    }
}
