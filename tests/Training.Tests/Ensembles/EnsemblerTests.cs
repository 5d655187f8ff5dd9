using SweepCluster.Training.Ensembles;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Data;

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
            MemberModels = new Dictionary<string, IReadOnlyList<string>> { ["a"] = ["a/trial-0003/fold-0", "a/trial-0003/fold-1"] }, IdColumn = "ID", LabelColumns = ["Label"],
            MemberKinds = new Dictionary<string, string> { ["a"] = "fine-tuned" }, DroppedMembers = ["classic:nbsvm"],
            Comparison = [new BootstrapDifference("f1", "a", 0.01, 0.011, 0.005, 0.001, 0.02, 1000)],
        };
        var back = EnsembleReport.FromJson(report.ToJson());
        Assert.Equal(report.ToJson(), back.ToJson());
        Assert.Equal([0.4], back.Rule.Thresholds);
    }

    [Theory]
    [InlineData("rows")]
    [InlineData("class_names")]
    [InlineData("member_models")]
    public void A_null_where_the_report_has_none_is_refused_by_name_when_read(string key)
    {
        // Every key present, one of them null: malformed, so a JsonException naming it (the CLI's exit 2), not a
        // NullReferenceException in predict or the report later.
        var fields = new Dictionary<string, string>
        {
            ["study_id"] = "\"s\"", ["metric"] = "\"f1\"", ["higher_is_better"] = "true", ["task"] = "\"Binary\"", ["class_names"] = "[\"NO\", \"YES\"]",
            ["method"] = "\"soft\"", ["weights_method"] = "\"equal weights\"", ["weights"] = "{\"a\": 1}", ["thresholds"] = "[0.5]", ["held_out_rows"] = "3",
            ["out_of_fold_rows"] = "9", ["rows"] = "[]", ["verdict"] = "\"v\"", ["member_models"] = "{\"a\": [\"a/final\"]}",
        };
        Assert.NotNull(EnsembleReport.FromJson("{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {f.Value}")) + "}")); // the file without the null reads
        fields[key] = "null";
        var json = "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {f.Value}")) + "}";
        var e = Assert.Throws<System.Text.Json.JsonException>(() => EnsembleReport.FromJson(json));
        Assert.Contains(key, e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_report_written_with_one_folder_per_member_still_reads()
    {
        // ensemble.json as written before members could name several folders (and before member kinds).
        const string old = """
            {"study_id": "s", "metric": "f1", "higher_is_better": true, "task": "Binary", "class_names": ["NO", "YES"], "method": "soft",
             "weights_method": "equal weights", "weights": {"a": 1}, "thresholds": [0.5], "held_out_rows": 3, "out_of_fold_rows": 9,
             "rows": [], "verdict": "v", "member_models": {"a": "a/final"}}
            """;
        var report = EnsembleReport.FromJson(old);
        Assert.Equal(["a/final"], report.MemberModels["a"]);
        Assert.Empty(report.MemberKinds);
        Assert.Empty(report.Comparison);
    }

    [Fact]
    public void The_paired_bootstrap_of_a_mean_difference_has_the_standard_error_of_a_mean()
    {
        // Per-row scores: the ensemble is right on every row, the member on alternate rows, so the
        // per-row difference d is 0 or 1 with mean 0.5 and standard deviation 0.5. The bootstrap standard
        // error of the mean difference is then about 0.5/sqrt(n) = 0.025 for n = 400 (Efron & Tibshirani
        // 1993, eq. 5.6), and the 95% interval about 0.5 ± 1.96·0.025 = [0.451, 0.549].
        const int n = 400;
        double Ensemble(int[] rows) => 1.0;
        double Member(int[] rows) => rows.Average(r => r % 2 == 0 ? 1.0 : 0.0);
        var d = Ensembler.PairedBootstrap("accuracy", "m", n, Ensemble, Member, resamples: 2000, seed: 1);
        Assert.Equal(0.5, d.Observed, 12);
        Assert.Equal(0.5, d.Mean, 2);
        Assert.InRange(d.StandardError, 0.0225, 0.0275);
        Assert.InRange(d.Low, 0.44, 0.46);
        Assert.InRange(d.High, 0.54, 0.56);
        Assert.Equal(2000, d.Resamples);

        // Identical models: every resampled difference is exactly 0.
        var same = Ensembler.PairedBootstrap("accuracy", "m", n, Member, Member, resamples: 100, seed: 1);
        Assert.Equal((0.0, 0.0, 0.0, 0.0), (same.Mean, same.StandardError, same.Low, same.High));
    }

    [Fact]
    public void Percentiles_interpolate_linearly_between_ranks_as_numpy_does()
    {
        // numpy.percentile([1, 2, 3, 4], 25) = 1.75; numpy.percentile([1, 2, 3, 4], 97.5) = 3.925.
        Assert.Equal(1.75, Ensembler.Percentile([1, 2, 3, 4], 25), 12);
        Assert.Equal(3.925, Ensembler.Percentile([1, 2, 3, 4], 97.5), 12);
    }

    [Fact]
    public void The_verdict_follows_the_bootstrap_interval_of_the_difference()
    {
        ScoreRow Row(string name, double f1) => new() { Name = name, Kind = "member", Metrics = new Dictionary<string, double> { ["f1"] = f1 }, Confusion = new Dictionary<string, int[][]>() };
        BootstrapDifference Diff(double low, double high) => new("f1", "b", (low + high) / 2, (low + high) / 2, (high - low) / 4, low, high, 1000);
        var members = new[] { Row("a", 0.70), Row("b", 0.80) };
        Assert.StartsWith("The ensemble beats its best member (b)", Ensembler.Verdict(Row("e", 0.83), members, "f1", true, [Diff(0.01, 0.05)]));
        Assert.StartsWith("The ensemble is worse than its best member (b)", Ensembler.Verdict(Row("e", 0.77), members, "f1", true, [Diff(-0.05, -0.01)]));
        var unclear = Ensembler.Verdict(Row("e", 0.81), members, "f1", true, [Diff(-0.01, 0.03)]);
        Assert.StartsWith("The ensemble cannot be told apart from its best member (b)", unclear);
        Assert.Contains("95% interval -0.0100 to +0.0300, 1000 paired bootstrap resamples", unclear);
        // Lower is better (loss): an interval wholly below 0 is an improvement.
        BootstrapDifference Loss(double low, double high) => new("loss", "a", low, low, 0.01, low, high, 1000);
        ScoreRow LossRow(string name, double loss) => new() { Name = name, Kind = "member", Metrics = new Dictionary<string, double> { ["loss"] = loss }, Confusion = new Dictionary<string, int[][]>() };
        Assert.StartsWith("The ensemble beats its best member (a)", Ensembler.Verdict(LossRow("e", 0.30), [LossRow("a", 0.35)], "loss", false, [Loss(-0.08, -0.02)]));
    }
}
