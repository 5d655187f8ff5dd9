using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Tests;

public class PrunerTests
{
    private static TrialRecord Trial(int number, TrialState state, params (int Step, double Value)[] reports)
    {
        var t = new TrialRecord { Number = number, Params = new Dictionary<string, double>(), State = state };
        foreach (var (step, value) in reports) t.Reports[step] = value;
        return t;
    }

    /// <summary>Five completed trials whose values at steps 1..3 are 1..5 (minimising: 3 is the median).</summary>
    private static List<TrialRecord> FiveCompleted() =>
        Enumerable.Range(0, 5).Select(i => Trial(i, TrialState.Complete, (1, i + 1.0), (2, i + 1.0), (3, i + 1.0))).ToList();

    [Fact]
    public void Pruner_stops_trial_worse_than_the_median_after_warmup()
    {
        var history = FiveCompleted();
        var trial = Trial(5, TrialState.Running, (1, 3.5));
        history.Add(trial);
        Assert.True(MedianPruner.Create().ShouldPrune(history, trial, StudyDirection.Minimize));

        var good = Trial(6, TrialState.Running, (1, 2.5));
        history.Add(good);
        Assert.False(MedianPruner.Create().ShouldPrune(history, good, StudyDirection.Minimize));
    }

    [Fact]
    public void Pruner_compares_the_best_value_so_far_not_the_last()
    {
        var history = FiveCompleted();
        var trial = Trial(5, TrialState.Running, (1, 2.0), (2, 4.0)); // best so far 2.0 < median 3
        history.Add(trial);
        Assert.False(MedianPruner.Create().ShouldPrune(history, trial, StudyDirection.Minimize));
    }

    [Fact]
    public void Pruner_waits_for_startup_trials_and_warmup_steps()
    {
        var history = FiveCompleted().Take(4).ToList();
        var trial = Trial(4, TrialState.Running, (1, 100));
        history.Add(trial);
        Assert.False(MedianPruner.Create(nStartupTrials: 5).ShouldPrune(history, trial, StudyDirection.Minimize));
        Assert.True(MedianPruner.Create(nStartupTrials: 4).ShouldPrune(history, trial, StudyDirection.Minimize));
        Assert.False(MedianPruner.Create(nStartupTrials: 4, nWarmupSteps: 2).ShouldPrune(history, trial, StudyDirection.Minimize));
        // Warm-up counts epochs: 2 protects epochs 1 and 2 (before issue 12 it compared the raw step, protecting only epoch 1).
        trial.Reports[2] = 100;
        Assert.False(MedianPruner.Create(nStartupTrials: 4, nWarmupSteps: 2).ShouldPrune(history, trial, StudyDirection.Minimize));
        trial.Reports[3] = 100;
        Assert.True(MedianPruner.Create(nStartupTrials: 4, nWarmupSteps: 2).ShouldPrune(history, trial, StudyDirection.Minimize));
    }

    [Fact]
    public void Pruner_checks_only_the_first_report_in_each_interval()
    {
        var history = FiveCompleted();
        var trial = Trial(5, TrialState.Running, (0, 50.0));
        history.Add(trial);
        var pruner = MedianPruner.Create(intervalSteps: 2);
        Assert.False(pruner.ShouldPrune(history, trial, StudyDirection.Minimize)); // step 0 checked: no completed trial reported it
        trial.Reports[1] = 100;
        // completed trials have data at step 1 (median 3), but step 1 shares the interval [0, 2) with step 0
        Assert.False(pruner.ShouldPrune(history, trial, StudyDirection.Minimize));
        trial.Reports.Remove(1);
        trial.Reports[2] = 100;
        Assert.True(pruner.ShouldPrune(history, trial, StudyDirection.Minimize)); // step 2 opens a new interval
    }

    [Fact]
    public void Pruner_needs_n_min_trials_reporting_the_step()
    {
        var history = FiveCompleted();
        var trial = Trial(5, TrialState.Running, (7, 100)); // no completed trial reported step 7
        history.Add(trial);
        Assert.False(MedianPruner.Create().ShouldPrune(history, trial, StudyDirection.Minimize));
        var atStep1 = Trial(6, TrialState.Running, (1, 100));
        history.Add(atStep1);
        Assert.False(MedianPruner.Create(nMinTrials: 6).ShouldPrune(history, atStep1, StudyDirection.Minimize));
    }

    [Fact]
    public void Pruner_ignores_running_and_pruned_trials_in_the_median()
    {
        var history = FiveCompleted();
        // Many pruned/running trials with terrible values must not move the median.
        for (var i = 0; i < 10; i++) history.Add(Trial(5 + i, i % 2 == 0 ? TrialState.Pruned : TrialState.Running, (1, 1000)));
        var trial = Trial(20, TrialState.Running, (1, 3.5));
        history.Add(trial);
        Assert.True(MedianPruner.Create().ShouldPrune(history, trial, StudyDirection.Minimize));
    }

    [Fact]
    public void Maximising_prunes_below_the_median()
    {
        var history = FiveCompleted();
        var low = Trial(5, TrialState.Running, (1, 2.5));
        history.Add(low);
        Assert.True(MedianPruner.Create().ShouldPrune(history, low, StudyDirection.Maximize));
        var high = Trial(6, TrialState.Running, (1, 3.5));
        history.Add(high);
        Assert.False(MedianPruner.Create().ShouldPrune(history, high, StudyDirection.Maximize));
    }

    [Fact]
    public void Percentile_pruner_uses_its_percentile_with_linear_interpolation()
    {
        var history = FiveCompleted(); // values 1..5; 25th percentile = 2, 75th = 4
        var trial = Trial(5, TrialState.Running, (1, 2.5));
        history.Add(trial);
        Assert.True(new PercentilePruner(25).ShouldPrune(history, trial, StudyDirection.Minimize));
        Assert.False(new PercentilePruner(75).ShouldPrune(history, trial, StudyDirection.Minimize));
        Assert.Equal(2.5, PercentilePruner.PercentileOf([1, 2, 3, 4], 50));
    }

    [Fact]
    public void A_trial_reporting_only_nan_is_pruned()
    {
        var history = FiveCompleted();
        var trial = Trial(5, TrialState.Running, (1, double.NaN));
        history.Add(trial);
        Assert.True(MedianPruner.Create().ShouldPrune(history, trial, StudyDirection.Minimize));
    }

    [Fact]
    public void None_pruner_never_prunes_and_bad_settings_are_named()
    {
        var history = FiveCompleted();
        var trial = Trial(5, TrialState.Running, (1, 1e9));
        history.Add(trial);
        Assert.False(new NopPruner().ShouldPrune(history, trial, StudyDirection.Minimize));
        Assert.Contains("interval_steps", Assert.Throws<ArgumentException>(() => MedianPruner.Create(intervalSteps: 0)).Message);
        Assert.Contains("percentile", Assert.Throws<ArgumentException>(() => new PercentilePruner(150)).Message);
    }

    [Fact]
    public void Ask_tell_search_prunes_through_report()
    {
        var search = AskTellTests.NewSearch(SamplerKind.Random, 0, new PrunerSettings { Kind = PrunerKind.Median });
        for (var i = 0; i < 5; i++)
        {
            var t = search.Ask();
            search.Report(t.Number, 1, i);
            search.Tell(t.Number, new TrialOutcome.Completed(i));
        }
        var bad = search.Ask();
        Assert.True(search.Report(bad.Number, 1, 10));
        search.Tell(bad.Number, new TrialOutcome.Pruned());
        Assert.Equal(TrialState.Pruned, search.Trials[bad.Number].State);
        Assert.Equal(10, search.Trials[bad.Number].Value);
    }
}
