using SweepCluster.Contracts.Trials;
using SweepCluster.Worker.Tests.Simulation;
using SweepCluster.Worker.Training;

namespace SweepCluster.Worker.Tests.Training;

/// <summary>
/// Progress within an epoch: a one-epoch fold or final retrain used to send nothing until it ended, so the study
/// showed "leased" and no ETA for its whole length (the README's main job: minutes per final retrain).
/// </summary>
public sealed class MidEpochProgressTests
{
    private static TrialProgress Training(int epoch, double done) =>
        new() { Phase = "training", Folds = 1, Epochs = 2, Epoch = epoch - 1, EpochFraction = done };

    [Fact]
    public async Task Shares_within_an_epoch_are_sent_and_an_epochs_end_is_left_to_the_epoch_report()
    {
        var reporter = new RecordingReporter();
        var during = TrainingWorkload.DuringEpoch(reporter, Training, TestContext.Current.CancellationToken, interval: TimeSpan.Zero);

        await during(1, 0.25);
        await during(1, 1.0);
        await during(2, 0.5);

        Assert.Equal([(0, 0.25), (1, 0.5)], reporter.Progress.Select(p => (p.Epoch, p.EpochFraction)));
        // Epoch 2 of 2 half done: (1 + 0.5) / 2.
        Assert.Equal(0.75, reporter.Progress[^1].Fraction);
    }

    [Fact]
    public async Task Sends_are_at_most_one_per_interval()
    {
        // Every 20 batches on a GPU is many calls a second; within the 5 s interval none goes out.
        var reporter = new RecordingReporter();
        var during = TrainingWorkload.DuringEpoch(reporter, Training, TestContext.Current.CancellationToken);
        for (var i = 1; i < 50; i++) await during(1, i / 50.0);
        Assert.Empty(reporter.Progress);
    }
}
