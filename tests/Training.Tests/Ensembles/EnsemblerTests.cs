using SweepCluster.Training.Ensembles;
using SweepCluster.Training.FineTuning;

namespace SweepCluster.Training.Tests.Ensembles;

public sealed class EnsemblerTests
{
    private static readonly int[] Classes = [0, 1, 1, 0, 1, 0, 1, 1];
    private static readonly int[] Rows = Enumerable.Range(0, Classes.Length).ToArray();
    private static readonly TrainingTargets Targets = new TrainingTargets.SingleLabel(Classes, 2);

    /// <summary>A member that puts probability p on the right class of every row.</summary>
    private static double[][] Member(double p) => Classes.Select(c => c == 1 ? new[] { 1 - p, p } : [p, 1 - p]).ToArray();

    [Fact]
    public void Soft_voting_is_the_weighted_mean_and_hard_voting_the_share_of_decisions()
    {
        var members = new Dictionary<string, double[][]> { ["a"] = [[0.2, 0.8]], ["b"] = [[0.6, 0.4]] };
        var soft = Ensembler.Combine(new EnsembleRule("soft", "Binary", new Dictionary<string, double> { ["a"] = 0.75, ["b"] = 0.25 }, [0.5]), members);
        Assert.Equal([0.3, 0.7], soft[0], (x, y) => Math.Abs(x - y) < 1e-12);
        var hard = Ensembler.Combine(new EnsembleRule("hard", "Binary", Ensembler.EqualWeights(members.Keys), [0.5]), members);
        Assert.Equal([0.5, 0.5], hard[0]);
        var none = Ensembler.Combine(new EnsembleRule("none", "Binary", new Dictionary<string, double> { ["a"] = 0.3, ["b"] = 0.7 }, [0.5]), members);
        Assert.Same(members["b"], none);
    }

    [Fact]
    public void Fitted_weights_favour_the_member_that_is_right_more_confidently()
    {
        var oof = new Dictionary<string, double[][]> { ["good"] = Member(0.9), ["weak"] = Member(0.55) };
        var weights = Ensembler.FitWeights(oof, Targets, Rows, multiLabel: false);
        Assert.Equal(1.0, weights.Values.Sum(), 9);
        Assert.True(weights["good"] > 0.9, $"weights {string.Join(", ", weights)}");
    }

    [Fact]
    public void The_binary_threshold_is_chosen_for_the_metric_on_the_given_rows()
    {
        // Positives score 0.3, negatives 0.1: only a threshold in (0.1, 0.3] separates them.
        var probabilities = Classes.Select(c => c == 1 ? new[] { 0.7, 0.3 } : [0.9, 0.1]).ToArray();
        var threshold = Assert.Single(Ensembler.ChooseThresholds(probabilities, Targets, Rows, "accuracy", higherIsBetter: true));
        Assert.InRange(threshold, 0.11, 0.3);
        Assert.Equal(1.0, Ensembler.Score(probabilities, Targets, Rows, [threshold]).Accuracy);
        Assert.Equal(3.0 / 8, Ensembler.Score(probabilities, Targets, Rows, [0.5]).Accuracy); // only the three negatives right
    }

    [Fact]
    public void Multi_label_thresholds_are_chosen_per_label()
    {
        var labels = new[] { new[] { 1, 0 }, [0, 1], [1, 1], [0, 0] };
        var targets = new TrainingTargets.MultiLabel(labels);
        var probabilities = labels.Select(l => new[] { l[0] == 1 ? 0.2 : 0.1, l[1] == 1 ? 0.9 : 0.6 }).ToArray();
        var thresholds = Ensembler.ChooseThresholds(probabilities, targets, [0, 1, 2, 3], "f1", true);
        Assert.InRange(thresholds[0], 0.11, 0.2);
        Assert.InRange(thresholds[1], 0.61, 0.9);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(labels[i], Ensembler.Decide(probabilities[i], new EnsembleRule("soft", "MultiLabel", new Dictionary<string, double>(), thresholds))));
    }

    [Fact]
    public void The_verdict_says_plainly_when_the_ensemble_loses_to_its_best_member()
    {
        ScoreRow Row(string name, double accuracy) => new() { Name = name, Kind = "member", Metrics = new Dictionary<string, double> { ["accuracy"] = accuracy }, Confusion = new Dictionary<string, int[][]>() };
        Assert.StartsWith("The ensemble does NOT beat its best member (b)", Ensembler.Verdict(Row("e", 0.80), [Row("a", 0.7), Row("b", 0.81)], "accuracy", true));
        Assert.StartsWith("The ensemble beats its best member (b)", Ensembler.Verdict(Row("e", 0.82), [Row("a", 0.7), Row("b", 0.81)], "accuracy", true));
        Assert.StartsWith("The ensemble beats its best member (a)", Ensembler.Verdict(Row("e", 0.2), [Row("a", 0.3), Row("b", 0.4)], "accuracy", false));
    }

    [Fact]
    public void The_report_round_trips_through_json()
    {
        var report = new EnsembleReport
        {
            StudyId = "s", Metric = "f1", HigherIsBetter = true, Task = "Binary", ClassNames = ["NO", "YES"], Method = "soft", WeightsMethod = "equal weights",
            Weights = new Dictionary<string, double> { ["a"] = 1 }, Thresholds = [0.4], HeldOutRows = 3, OutOfFoldRows = 9, Verdict = "v",
            Rows = [new ScoreRow { Name = "a", Kind = "member", Metrics = new Dictionary<string, double> { ["f1"] = 0.5 }, Confusion = new Dictionary<string, int[][]> { ["all"] = [[1, 0], [1, 1]] } }],
            MemberModels = new Dictionary<string, string> { ["a"] = "a/final" }, IdColumn = "ID", LabelColumns = ["Label"],
        };
        var back = EnsembleReport.FromJson(report.ToJson());
        Assert.Equal(report.ToJson(), back.ToJson());
        Assert.Equal([0.4], back.Rule.Thresholds);
    }
}
