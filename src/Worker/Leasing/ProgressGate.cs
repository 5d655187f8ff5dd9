using System.Diagnostics;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Worker.Leasing;

/// <summary>
/// Which progress words a worker sends: at most one "training" word per <see cref="Interval"/> (the live view
/// refreshes once a second, and fast simulated steps must not double the calls), except that a change of phase goes
/// through at once, and so does an epoch's end that follows words sent within the epoch. Without that exception the
/// end, which carries the epoch's loss and count, could fall within the interval of the last word before it, and the
/// view would show 90 % of the epoch until the next word (for a one-epoch final retrain, until the job ended).
/// </summary>
internal sealed class ProgressGate
{
    /// <summary>0.5 s between "training" words at most.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    private long _last; // Stopwatch timestamp of the last word admitted; 0: none yet
    private bool _lastWithinEpoch;
    private string? _lastPhase;

    /// <summary>Whether to send <paramref name="progress"/> at <paramref name="timestamp"/> (<see cref="Stopwatch.GetTimestamp"/>); records it when so.</summary>
    public bool Admit(TrialProgress progress, long timestamp)
    {
        var endsAnEpoch = _lastWithinEpoch && progress.EpochFraction == 0;
        if (_last != 0 && !endsAnEpoch && progress.Phase == "training" && progress.Phase == _lastPhase
            && Stopwatch.GetElapsedTime(_last, timestamp) < Interval)
            return false;
        _last = timestamp;
        _lastPhase = progress.Phase;
        _lastWithinEpoch = progress.EpochFraction > 0;
        return true;
    }
}
