using SweepCluster.Silo.Grains;

namespace SweepCluster.Silo.Tests.Grains;

/// <summary>The final retrain trains for the epochs where the best trial's folds peaked (reports are 1000·fold + epoch).</summary>
public sealed class FinalEpochsTests
{
    [Fact]
    public void The_epochs_are_the_folds_peaks_averaged_and_rounded()
    {
        var reports = new Dictionary<int, double>
        {
            [1] = 0.6, [2] = 0.8, [3] = 0.7,          // fold 0 peaks at epoch 2
            [1001] = 0.5, [1002] = 0.6, [1003] = 0.9, // fold 1 peaks at epoch 3
        };
        Assert.Equal(3, StudyGrain.FinalEpochs(reports)); // (2 + 3) / 2 = 2.5 → 3
        Assert.Equal(1, StudyGrain.FinalEpochs(reports, higherIsBetter: false)); // minimising: epoch 1 in both folds
    }

    [Fact]
    public void Ties_take_the_earlier_epoch_and_no_reports_leave_the_default()
    {
        Assert.Equal(1, StudyGrain.FinalEpochs(new Dictionary<int, double> { [1] = 0.7, [2] = 0.7 }));
        Assert.Null(StudyGrain.FinalEpochs(new Dictionary<int, double>()));
    }
}
