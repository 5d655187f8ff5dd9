using System.Diagnostics;
using SweepCluster.Contracts.Trials;
using SweepCluster.Worker.Leasing;

namespace SweepCluster.Worker.Tests.Leasing;

/// <summary>The worker's rule for which progress words go to the trial grain (documented on <see cref="ProgressGate"/>).</summary>
public sealed class ProgressGateTests
{
    private static long At(double seconds) => 1 + (long)(seconds * Stopwatch.Frequency);

    private static TrialProgress Training(int epoch, double within = 0) =>
        new() { Phase = "training", Folds = 1, Epochs = 3, Epoch = epoch, EpochFraction = within };

    [Fact]
    public void Training_words_within_half_a_second_are_dropped_and_a_phase_change_is_not()
    {
        var gate = new ProgressGate();
        Assert.True(gate.Admit(new TrialProgress { Phase = "tokenising" }, At(0)));
        Assert.True(gate.Admit(Training(1), At(0.1)));        // a new phase
        Assert.False(gate.Admit(Training(2), At(0.3)));       // 0.2 s after the last: a fast simulated step
        Assert.True(gate.Admit(Training(3), At(0.7)));        // 0.6 s after
    }

    [Fact]
    public void An_epochs_end_right_after_a_word_within_it_goes_through()
    {
        // Before: the end (epoch 1 done, with its loss) came 0.2 s after the 90 % word and was dropped.
        var gate = new ProgressGate();
        Assert.True(gate.Admit(Training(0, within: 0.9), At(10)));
        Assert.True(gate.Admit(Training(1), At(10.2)));
        // An end after an end is throttled as before.
        Assert.False(gate.Admit(Training(2), At(10.4)));
    }
}
