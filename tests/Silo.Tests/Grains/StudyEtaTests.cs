using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Grains;

namespace SweepCluster.Silo.Tests.Grains;

/// <summary>The study's ETA (status, watch, up --until-done): hand-computed from mean duration × left ÷ parallel.</summary>
public sealed class StudyEtaTests
{
    [Fact]
    public void Finished_trials_set_the_mean_duration()
    {
        // Mean of 60 s and 120 s is 90 s; 10 trials left, 4 at a time: 90 × 10 / 4 = 225 s.
        Assert.Equal(TimeSpan.FromSeconds(225), StudyGrain.EstimateRemaining([60, 120], [1000], left: 10, maxParallel: 4));
    }

    [Fact]
    public void Before_any_trial_finishes_the_running_trials_projections_set_it()
    {
        // Two running trials projected at 300 s and 500 s (mean 400 s); 6 left, 2 at a time: 400 × 6 / 2 = 1200 s.
        Assert.Equal(TimeSpan.FromSeconds(1200), StudyGrain.EstimateRemaining([], [300, 500], left: 6, maxParallel: 2));
    }

    [Fact]
    public void Fewer_trials_left_than_max_parallel_run_all_at_once_and_nothing_known_is_no_eta()
    {
        // 2 left with max_parallel 8: both run at once, so one mean duration (50 s).
        Assert.Equal(TimeSpan.FromSeconds(50), StudyGrain.EstimateRemaining([50], [], left: 2, maxParallel: 8));
        Assert.Null(StudyGrain.EstimateRemaining([], [], left: 5, maxParallel: 2));
    }

    [Fact]
    public void After_the_search_the_running_stage_jobs_set_it()
    {
        // Final retrains 60 s in at a quarter done and 100 s in at half done: 60 × 3 = 180 s and 100 s left; the longer.
        var now = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        var quarter = new TrialProgress { Phase = "training", Folds = 1, Epochs = 4, Epoch = 1 }.Remaining(now.AddSeconds(-60), now);
        var half = new TrialProgress { Phase = "training", Folds = 1, Epochs = 4, Epoch = 2 }.Remaining(now.AddSeconds(-100), now);
        Assert.Equal(TimeSpan.FromSeconds(180), quarter);
        Assert.Equal(TimeSpan.FromSeconds(180), StudyGrain.EstimateStages([quarter, half]));
        // One job still waiting: unknown, not the other's figure.
        Assert.Null(StudyGrain.EstimateStages([half, null]));
        Assert.Equal(TimeSpan.Zero, StudyGrain.EstimateStages([]));
    }
}
