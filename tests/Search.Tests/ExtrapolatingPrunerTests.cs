using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Tests;

public class ExtrapolatingPrunerTests
{
    private static TrialRecord Curve(int number, TrialState state, int steps, double a, double b, double c)
    {
        var t = new TrialRecord { Number = number, Params = new Dictionary<string, double>(), State = state };
        for (var s = 1; s <= steps; s++) t.Reports[s] = a + b * Math.Exp(-c * s);
        return t;
    }

    /// <summary>Five completed 30-step curves finishing near 0.30 (fast learners with a mediocre asymptote).</summary>
    private static List<TrialRecord> Completed() =>
        Enumerable.Range(0, 5).Select(i => Curve(i, TrialState.Complete, 30, 0.28 + 0.01 * i, 1.0, 0.5)).ToList();

    [Fact]
    public void Fit_recovers_the_final_value_of_an_exponential_curve()
    {
        var steps = Enumerable.Range(1, 8).Select(s => (double)s).ToArray();
        var losses = steps.Select(t => 0.12 + 1.3 * Math.Exp(-0.08 * t)).ToArray();
        Assert.Equal(0.12 + 1.3 * Math.Exp(-0.08 * 30), ExtrapolatingPruner.PredictFinal(steps, losses, 30), 3);
    }

    [Fact]
    public void Slow_starter_heading_for_a_better_asymptote_is_kept_where_the_median_rule_prunes_it()
    {
        var history = Completed();
        var slow = Curve(5, TrialState.Running, 8, 0.12, 1.3, 0.08); // at step 8: 0.80, far above the median now
        history.Add(slow);
        Assert.True(MedianPruner.Create().ShouldPrune(history, slow, StudyDirection.Minimize));
        Assert.False(new ExtrapolatingPruner().ShouldPrune(history, slow, StudyDirection.Minimize));
    }

    [Fact]
    public void Curve_heading_for_a_worse_asymptote_is_pruned()
    {
        var history = Completed();
        var bad = Curve(5, TrialState.Running, 8, 0.6, 0.8, 0.4);
        history.Add(bad);
        Assert.True(new ExtrapolatingPruner().ShouldPrune(history, bad, StudyDirection.Minimize));
    }

    [Fact]
    public void Nothing_is_pruned_during_warmup_or_before_enough_trials_complete()
    {
        var history = Completed();
        var early = Curve(5, TrialState.Running, 4, 0.6, 0.8, 0.4);
        history.Add(early);
        Assert.False(new ExtrapolatingPruner(nWarmupSteps: 5).ShouldPrune(history, early, StudyDirection.Minimize));
        Assert.False(new ExtrapolatingPruner(nStartupTrials: 6).ShouldPrune(history, Curve(6, TrialState.Running, 8, 0.6, 0.8, 0.4), StudyDirection.Minimize));
        Assert.Contains("n_warmup_steps", Assert.Throws<ArgumentException>(() => new ExtrapolatingPruner(nWarmupSteps: 2)).Message);
    }
}
