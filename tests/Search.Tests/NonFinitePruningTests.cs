using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>
/// Issue 10, kind 2: non-finite values in pruning and objective values. Expected values by hand, following
/// Optuna's PercentilePruner (np.nanmin of the trial's values against np.nanpercentile of the completed
/// trials' values at the step; all-NaN trial pruned) and study.tell (NaN fails a trial, ±inf completes it).
/// </summary>
public class NonFinitePruningTests
{
    private static TrialRecord Trial(int number, TrialState state, params (int Step, double Value)[] reports)
    {
        var t = new TrialRecord { Number = number, Params = new Dictionary<string, double>(), State = state };
        foreach (var (step, value) in reports) t.Reports[step] = value;
        return t;
    }

    private static List<TrialRecord> Completed(params double[] atStep1) =>
        atStep1.Select((v, i) => Trial(i, TrialState.Complete, (1, v))).ToList();

    public static readonly TheoryData<string> Pruners = new() { "median", "percentile50" };

    private static IPruner Create(string name) => name == "median"
        ? MedianPruner.Create(nStartupTrials: 1)
        : new PercentilePruner(50, nStartupTrials: 1);

    [Theory]
    [MemberData(nameof(Pruners))]
    public void The_issue_input_median_of_half_point_six_and_infinity_is_point_six_so_ten_is_pruned(string pruner)
    {
        var history = Completed(0.5, 0.6, double.PositiveInfinity);
        var trial = Trial(3, TrialState.Running, (1, 10.0));
        history.Add(trial);
        Assert.True(Create(pruner).ShouldPrune(history, trial, StudyDirection.Minimize));
        var good = Trial(4, TrialState.Running, (1, 0.55));
        history.Add(good);
        Assert.False(Create(pruner).ShouldPrune(history, good, StudyDirection.Minimize));
    }

    [Fact]
    public void Maximising_mirrors_it_median_of_half_point_six_and_minus_infinity_is_half()
    {
        // Maximise: values 0.6, 0.5, −∞; the median is 0.5, so 0.1 is pruned and 0.55 kept.
        var history = Completed(0.6, 0.5, double.NegativeInfinity);
        var bad = Trial(3, TrialState.Running, (1, 0.1));
        var good = Trial(4, TrialState.Running, (1, 0.55));
        history.Add(bad);
        history.Add(good);
        Assert.True(MedianPruner.Create(nStartupTrials: 1).ShouldPrune(history, bad, StudyDirection.Maximize));
        Assert.False(MedianPruner.Create(nStartupTrials: 1).ShouldPrune(history, good, StudyDirection.Maximize));
    }

    [Theory]
    // numpy's linear percentile of the sorted values; an interpolation weight of 0 gives the order statistic itself.
    [InlineData(new[] { 0.5, 0.6, double.PositiveInfinity }, 50, 0.6)]
    [InlineData(new[] { 0.5, 0.6, double.PositiveInfinity }, 0, 0.5)]
    [InlineData(new[] { 0.5, 0.6, double.PositiveInfinity }, 100, double.PositiveInfinity)]
    [InlineData(new[] { 0.5, 0.6, double.PositiveInfinity }, 75, double.PositiveInfinity)] // between 0.6 and ∞
    [InlineData(new[] { 0.5, 0.6, double.PositiveInfinity }, 25, 0.55)]
    [InlineData(new[] { double.NegativeInfinity, 0.5, 0.6 }, 50, 0.5)]
    [InlineData(new[] { double.NegativeInfinity, 0.5, 0.6 }, 25, double.NegativeInfinity)]
    [InlineData(new[] { double.PositiveInfinity, double.PositiveInfinity }, 50, double.PositiveInfinity)]
    [InlineData(new[] { double.NegativeInfinity, double.PositiveInfinity }, 25, double.NegativeInfinity)]
    [InlineData(new[] { double.NegativeInfinity, double.PositiveInfinity }, 75, double.PositiveInfinity)]
    [InlineData(new[] { 1.0, double.NaN, 3.0 }, 50, 2.0)] // np.nanpercentile drops NaN
    [InlineData(new[] { double.NaN, double.NaN }, 50, double.NaN)]
    [InlineData(new[] { -1e308, 1e308 }, 50, 0.0)] // b − a overflows; the weighted sum does not
    public void Percentile_handles_infinite_and_nan_values(double[] values, double percentile, double expected)
    {
        Assert.Equal(expected, PercentilePruner.PercentileOf(values.ToList(), percentile), 12);
    }

    [Fact]
    public void Nan_values_of_completed_trials_count_towards_n_min_trials_but_not_the_percentile()
    {
        // Optuna: len(intermediate_values) >= n_min_trials, then np.nanpercentile: here [NaN, 0.5] → 0.5.
        var history = new List<TrialRecord> { Trial(0, TrialState.Complete, (1, double.NaN)), Trial(1, TrialState.Complete, (1, 0.5)) };
        var trial = Trial(2, TrialState.Running, (1, 0.7));
        history.Add(trial);
        Assert.True(new PercentilePruner(50, nStartupTrials: 1, nMinTrials: 2).ShouldPrune(history, trial, StudyDirection.Minimize));
    }

    [Fact]
    public void Completed_trials_all_nan_at_the_step_prune_nothing()
    {
        var history = Completed(double.NaN, double.NaN);
        var trial = Trial(2, TrialState.Running, (1, 1e9));
        history.Add(trial);
        Assert.False(MedianPruner.Create(nStartupTrials: 1).ShouldPrune(history, trial, StudyDirection.Minimize));
    }

    [Fact]
    public void The_reporting_trials_own_infinite_and_nan_values()
    {
        var history = Completed(0.5, 0.6, 0.7);
        var pruner = MedianPruner.Create(nStartupTrials: 1);
        // NaN next to a good value: np.nanmin ignores the NaN, 0.4 < 0.6 is kept.
        var withNan = Trial(3, TrialState.Running, (0, 0.4), (1, double.NaN));
        // A diverged loss: +∞ > 0.6.
        var diverged = Trial(4, TrialState.Running, (1, double.PositiveInfinity));
        // A loss of −∞ is the best there is.
        var minusInf = Trial(5, TrialState.Running, (1, double.NegativeInfinity));
        var allNan = Trial(6, TrialState.Running, (1, double.NaN));
        history.AddRange([withNan, diverged, minusInf, allNan]);
        Assert.False(pruner.ShouldPrune(history, withNan, StudyDirection.Minimize));
        Assert.True(pruner.ShouldPrune(history, diverged, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(history, minusInf, StudyDirection.Minimize));
        Assert.True(pruner.ShouldPrune(history, allNan, StudyDirection.Minimize));
    }

    private static TrialRecord Curve(int number, TrialState state, Func<int, double> value, int steps) =>
        Trial(number, state, Enumerable.Range(1, steps).Select(s => (s, value(s))).ToArray());

    [Fact]
    public void Extrapolating_pruner_with_an_infinite_final_among_completed_trials()
    {
        // Finals 0.5, 0.6, +∞: the median final is 0.6, so a flat curve at 10 is pruned and one at 0.1 kept.
        // Before, the threshold was 0.6 + (∞ − 0.6)·0 = NaN and nothing was pruned.
        var history = new List<TrialRecord>
        {
            Curve(0, TrialState.Complete, _ => 0.5, 10), Curve(1, TrialState.Complete, _ => 0.6, 10),
            Curve(2, TrialState.Complete, s => s == 10 ? double.PositiveInfinity : 0.7, 10),
        };
        var bad = Curve(3, TrialState.Running, s => 10 + 1.0 / s, 6);
        var good = Curve(4, TrialState.Running, s => 0.1 + 0.01 / s, 6);
        history.AddRange([bad, good]);
        var pruner = new ExtrapolatingPruner(nStartupTrials: 3);
        Assert.True(pruner.ShouldPrune(history, bad, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(history, good, StudyDirection.Minimize));
    }

    [Fact]
    public void Extrapolating_pruner_with_infinite_values_in_the_trials_own_curve()
    {
        var history = Enumerable.Range(0, 5).Select(i => Curve(i, TrialState.Complete, _ => 0.5 + 0.01 * i, 10)).ToList();
        var pruner = new ExtrapolatingPruner();
        var diverged = Curve(5, TrialState.Running, s => s == 6 ? double.PositiveInfinity : 0.3, 6);
        var best = Curve(6, TrialState.Running, s => s == 3 ? double.NegativeInfinity : 0.9, 6);
        // An infinite blip earlier in an otherwise good curve is left out of the fit: 0.3 < 0.52 is kept.
        var blip = Curve(7, TrialState.Running, s => s == 2 ? double.PositiveInfinity : 0.3, 6);
        history.AddRange([diverged, best, blip]);
        Assert.True(pruner.ShouldPrune(history, diverged, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(history, best, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(history, blip, StudyDirection.Minimize));
    }

    [Fact]
    public void Infinite_objective_values_complete_and_rank_nan_fails()
    {
        // Optuna's tell: NaN → FAIL ("The value nan is not acceptable"); ±inf → COMPLETE.
        var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1}}"""),
            Sampler: new SamplerSettings { Kind = SamplerKind.Tpe, Tpe = new() { NStartupTrials = 3 } }, Seed: 1));
        var values = new[] { 0.5, double.PositiveInfinity, double.NaN, 0.2, double.NegativeInfinity };
        foreach (var value in values) search.Tell(search.Ask().Number, new TrialOutcome.Completed(value));
        Assert.Equal(
            [TrialState.Complete, TrialState.Complete, TrialState.Failed, TrialState.Complete, TrialState.Complete],
            search.Trials.Select(t => t.State));
        Assert.Equal(double.PositiveInfinity, search.Trials[1].Value);
        Assert.Null(search.Trials[2].Value);
        Assert.Equal(4, search.BestTrial!.Number);
        // Best first: −∞, 0.2, 0.5, +∞ (the failed trial is not ranked).
        Assert.Equal([4, 3, 0, 1], Tpe.TpeSampler.RankFinished(search.Trials, StudyDirection.Minimize).Select(t => t.Number));
        Assert.Equal([1, 0, 3, 4], Tpe.TpeSampler.RankFinished(search.Trials, StudyDirection.Maximize).Select(t => t.Number));
        // TPE keeps asking values in the space, and the snapshot (infinite values as strings) round-trips.
        for (var i = 0; i < 5; i++) Assert.InRange((double)search.Ask().Params["x"], 0, 1);
        var restored = HyperparameterSearch.FromJson(search.ToJson());
        Assert.Equal(double.PositiveInfinity, restored.Trials[1].Value);
        Assert.Equal(TrialState.Complete, restored.Trials[4].State);
    }

    [Fact]
    public void A_search_reports_nan_and_infinity_through_report_and_prunes_as_optuna()
    {
        var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1}}"""),
            Sampler: new SamplerSettings { Kind = SamplerKind.Random },
            Pruner: new PrunerSettings { Kind = PrunerKind.Median, NStartupTrials = 1 }, Seed: 1));
        foreach (var value in new[] { 0.5, 0.6, double.PositiveInfinity })
        {
            var t = search.Ask();
            search.Report(t.Number, 1, value);
            search.Tell(t.Number, new TrialOutcome.Completed(value));
        }
        Assert.True(search.Report(search.Ask().Number, 1, 10.0));
        Assert.True(search.Report(search.Ask().Number, 1, double.NaN));
        Assert.False(search.Report(search.Ask().Number, 1, 0.55));
    }
}
