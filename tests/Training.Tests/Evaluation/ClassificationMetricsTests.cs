using SweepCluster.Training.Evaluation;

namespace SweepCluster.Training.Tests.Evaluation;

public sealed class ClassificationMetricsTests
{
    [Fact]
    public void Binary_scores_match_hand_computed_values()
    {
        // truth:     1    1    1    0    0    0    0
        // p(1):     .9   .6   .4   .7   .2   .1   .3   → predicted 1,1,0,1,0,0,0
        double[] p1 = [0.9, 0.6, 0.4, 0.7, 0.2, 0.1, 0.3];
        int[] truth = [1, 1, 1, 0, 0, 0, 0];
        var report = ClassificationMetrics.SingleLabel(p1.Select(p => new[] { 1 - p, p }).ToList(), truth);
        Assert.Equal(5.0 / 7, report.Accuracy, 12);
        Assert.Equal(2.0 / 3, report.Precision, 12); // tp 2, fp 1
        Assert.Equal(2.0 / 3, report.Recall, 12);    // tp 2, fn 1
        Assert.Equal(2.0 / 3, report.F1, 12);
        // AUC: positive/negative pairs ranked correctly: .9 beats 4, .6 beats 3 (not .7), .4 beats 3 (.2,.1,.3) → 10/12.
        Assert.Equal(10.0 / 12, report.RocAuc!.Value, 12);
        Assert.Equal(new[,] { { 3, 1 }, { 1, 2 } }, report.Confusion[0].Counts);
        Assert.Equal(report.F1, report.Metric("f1"));
    }

    [Fact]
    public void Auc_counts_ties_as_half_and_is_undefined_with_one_class()
    {
        Assert.Equal(0.5, ClassificationMetrics.RocAuc([0.5, 0.5], [true, false]));
        Assert.Null(ClassificationMetrics.RocAuc([0.1, 0.9], [true, true]));
    }

    [Fact]
    public void Multi_label_scores_each_label_and_averages_them()
    {
        var probabilities = new List<double[]> { new[] { 0.9, 0.1 }, new[] { 0.2, 0.8 }, new[] { 0.7, 0.6 }, new[] { 0.1, 0.3 } };
        var targets = new List<int[]> { new[] { 1, 0 }, new[] { 0, 1 }, new[] { 1, 0 }, new[] { 0, 0 } };
        var report = ClassificationMetrics.MultiLabel(probabilities, targets);
        Assert.Equal(2, report.PerLabel.Count);
        Assert.Equal(1.0, report.PerLabel[0].F1, 12);
        Assert.Equal(2.0 / 3, report.PerLabel[1].F1, 12); // tp 1, fp 1 (0.6), fn 0
        Assert.Equal((1.0 + 0.75) / 2, report.Accuracy, 12);
        Assert.Equal(1.0, report.PerLabel[0].RocAuc);
        Assert.Equal(2, report.Confusion.Count);
    }

    [Fact]
    public void An_unknown_metric_name_is_refused_by_name()
    {
        var report = ClassificationMetrics.SingleLabel([[0.4, 0.6]], [1]);
        Assert.Contains("'mcc'", Assert.Throws<ArgumentException>(() => report.Metric("mcc")).Message);
    }
}
