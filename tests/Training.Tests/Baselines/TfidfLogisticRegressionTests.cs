using Microsoft.VisualBasic.FileIO;
using SweepCluster.Training.Baselines;
using SweepCluster.Training.Evaluation;

namespace SweepCluster.Training.Tests.Baselines;

/// <summary>The baseline on the real extremism data (../shared/data/extremism/train.csv).</summary>
public sealed class TfidfLogisticRegressionTests
{
    private static (List<string> Texts, List<int> Labels) Extremism()
    {
        var path = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, FindUp("shared/data/extremism/train.csv")));
        using var parser = new TextFieldParser(path) { Delimiters = [","], HasFieldsEnclosedInQuotes = true };
        parser.ReadFields(); // header
        var texts = new List<string>();
        var labels = new List<int>();
        while (parser.ReadFields() is { } fields)
        {
            texts.Add(fields[1]);
            labels.Add(fields[2] == "EXTREMIST" ? 1 : 0);
        }
        return (texts, labels);
    }

    private static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Baseline_learns_the_extremism_task_well_above_chance_on_held_out_rows()
    {
        var (texts, labels) = Extremism();
        Assert.Equal(2250, texts.Count);
        // Every fifth row held out (the classes are interleaved evenly enough for this check).
        var heldOut = Enumerable.Range(0, texts.Count).Where(i => i % 5 == 0).ToArray();
        var train = Enumerable.Range(0, texts.Count).Where(i => i % 5 != 0).ToArray();
        var model = TfidfLogisticRegression.Fit(train.Select(i => texts[i]).ToList(), train.Select(i => labels[i]).ToList(), classes: 2);
        var report = ClassificationMetrics.SingleLabel(model.PredictProbabilities(heldOut.Select(i => texts[i]).ToList()), heldOut.Select(i => labels[i]).ToList());
        Assert.True(report.Accuracy > 0.70, $"held-out accuracy {report.Accuracy:0.000}");
        Assert.True(report.RocAuc > 0.78, $"held-out ROC-AUC {report.RocAuc:0.000}");
    }

    [Fact]
    public void Baseline_is_deterministic_and_gives_probabilities()
    {
        string[] texts = ["burn it all down", "lovely day at the park", "burn the park", "a lovely picnic", "they should all burn", "picnic in the park"];
        int[] labels = [1, 0, 1, 0, 1, 0];
        var a = TfidfLogisticRegression.Fit(texts, labels, 2, minDf: 1).PredictProbabilities(texts);
        var b = TfidfLogisticRegression.Fit(texts, labels, 2, minDf: 1).PredictProbabilities(texts);
        Assert.Equal(a, b);
        Assert.All(a, p => Assert.Equal(1.0, p.Sum(), 12));
        Assert.True(a[0][1] > 0.5 && a[1][1] < 0.5);
    }
}
