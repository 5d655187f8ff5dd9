using SweepCluster.Training.Baselines;
using SweepCluster.Training.Evaluation;

namespace SweepCluster.Training.Tests.Baselines;

/// <summary>The baseline on the real extremism data (../shared/data/extremism/train.csv).</summary>
public sealed class TfidfLogisticRegressionTests
{
    [Fact]
    public void Baseline_learns_the_extremism_task_well_above_chance_on_held_out_rows()
    {
        var (texts, labels) = (ExtremismData.Texts, ExtremismData.Labels);
        Assert.Equal(2250, texts.Length);
        // Every fifth row held out (the classes are interleaved evenly enough for this check).
        var heldOut = Enumerable.Range(0, texts.Length).Where(i => i % 5 == 0).ToArray();
        var train = Enumerable.Range(0, texts.Length).Where(i => i % 5 != 0).ToArray();
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
