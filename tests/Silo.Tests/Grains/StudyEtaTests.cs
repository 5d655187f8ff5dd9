using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Grains;

namespace SweepCluster.Silo.Tests.Grains;

/// <summary>The study's ETA (status, watch, up --until-done), each expected value computed by hand.</summary>
public sealed class StudyEtaTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_work_left_is_shared_over_the_trials_that_run_at_once()
    {
        // Mean 90 s; running trials with 30 s and 60 s left; 8 not started; 4 at a time:
        // (30 + 60 + 8 × 90) / min(4, 10) = 810 / 4 = 202.5 s.
        Assert.Equal(TimeSpan.FromSeconds(202.5), StudyGrain.EstimateSearch(90, [TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)], notStarted: 8, maxParallel: 4));
        // Before any trial finishes the mean is the running trials' projection (400 s here): (200 + 300 + 4 × 400) / 2 = 1050 s.
        Assert.Equal(TimeSpan.FromSeconds(1050), StudyGrain.EstimateSearch(400, [TimeSpan.FromSeconds(200), TimeSpan.FromSeconds(300)], notStarted: 4, maxParallel: 2));
    }

    [Fact]
    public void With_nothing_waiting_it_is_the_longest_running_remainder()
    {
        // The tester's end of a study: two trials 3.5 s and 3.2 s from the end, none waiting, mean duration 12 s.
        // (3.5 + 3.2) / 2 = 3.35 s would end before the longer trial does: 3.5 s.
        Assert.Equal(TimeSpan.FromSeconds(3.5), StudyGrain.EstimateSearch(12, [TimeSpan.FromSeconds(3.5), TimeSpan.FromSeconds(3.2)], notStarted: 0, maxParallel: 2));
    }

    [Fact]
    public void What_nothing_tells_the_size_of_makes_it_unknown()
    {
        Assert.Null(StudyGrain.EstimateSearch(null, [], notStarted: 5, maxParallel: 2));
        Assert.Null(StudyGrain.EstimateSearch(null, [TimeSpan.FromSeconds(10), null], notStarted: 0, maxParallel: 2));
        // A running trial that has not reported counts as one mean duration (50 s): (50 + 10) / 2 = 30 < 50.
        Assert.Equal(TimeSpan.FromSeconds(50), StudyGrain.EstimateSearch(50, [null, TimeSpan.FromSeconds(10)], notStarted: 0, maxParallel: 2));
    }

    [Fact]
    public void A_trials_remainder_counts_down_between_reports()
    {
        // Reported at 60 s a quarter done (4 epochs, 1 finished): 60 × 3 = 180 s left then; 30 s later, 150 s.
        var progress = new TrialProgress { Phase = "training", Folds = 1, Epochs = 4, Epoch = 1, UpdatedUtc = Start.AddSeconds(60) };
        Assert.Equal(TimeSpan.FromSeconds(180), progress.Remaining(Start, Start.AddSeconds(60)));
        Assert.Equal(TimeSpan.FromSeconds(150), progress.Remaining(Start, Start.AddSeconds(90)));
        Assert.Equal(TimeSpan.Zero, progress.Remaining(Start, Start.AddSeconds(400))); // overdue: zero, never negative
        Assert.Null((progress with { Epoch = 0 }).Remaining(Start, Start.AddSeconds(90))); // nothing done yet
    }

    [Fact]
    public void After_the_search_the_running_stage_jobs_set_it()
    {
        // Final retrains 60 s in at a quarter done (180 s left) and 100 s in at half done (100 s left): the longer.
        var quarter = new TrialProgress { Phase = "training", Folds = 1, Epochs = 4, Epoch = 1 }.Remaining(Start, Start.AddSeconds(60));
        var half = new TrialProgress { Phase = "training", Folds = 1, Epochs = 4, Epoch = 2 }.Remaining(Start, Start.AddSeconds(100));
        Assert.Equal(TimeSpan.FromSeconds(180), StudyGrain.EstimateStages([quarter, half]));
        // One job still waiting: unknown, not the other's figure.
        Assert.Null(StudyGrain.EstimateStages([half, null]));
        Assert.Equal(TimeSpan.Zero, StudyGrain.EstimateStages([]));
    }

    [Fact]
    public void Progress_sent_during_an_epoch_counts_its_share_done()
    {
        // Fold 2 of 2 (0-based 1), 4 epochs a fold, 2 done and half the third: (1·4 + 2 + 0.5) / (2·4) = 6.5 / 8.
        var progress = new TrialProgress { Phase = "training", Fold = 1, Folds = 2, Epochs = 4, Epoch = 2, EpochFraction = 0.5 };
        Assert.Equal(0.8125, progress.Fraction);
        // A one-epoch final retrain 40 % through its only epoch at 120 s: 120 × 0.6 / 0.4 = 180 s left. Before,
        // with progress only at epoch ends, it had no remainder (and the study no ETA) until it finished.
        var retrain = new TrialProgress { Phase = "training", Folds = 1, Epochs = 1, Epoch = 0, EpochFraction = 0.4, UpdatedUtc = Start.AddSeconds(120) };
        Assert.Equal(180, retrain.Remaining(Start, Start.AddSeconds(120))!.Value.TotalSeconds, 9);
        // A share past 1 counts as the whole epoch, never more: (4 + 2 + 1) / 8.
        Assert.Equal(0.875, (progress with { EpochFraction = 7 }).Fraction!.Value, 12);
    }
}
