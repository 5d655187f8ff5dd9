using System.Diagnostics;

namespace SweepCluster.Silo;

/// <summary>
/// The system clock, except that its monotonic timestamps (<see cref="GetTimestamp"/>) count from this
/// provider's creation instead of from the machine's boot. Installed as Orleans' membership clock.
/// </summary>
/// <remarks>
/// Why: Orleans 10's silo <c>Watchdog.Start</c> starts its platform thread before it sets the
/// component check's start timestamp, so on a busy machine the first platform check reads that field
/// while it is still 0 and measures the time since timestamp 0. With <see cref="TimeProvider.System"/>
/// that is <see cref="Stopwatch"/> time, which on Linux counts from boot: the log said "Participant check
/// thread has not completed for 03:24:51" (the machine's uptime) at every start-up, and the silo recorded
/// a health complaint against itself. Counting from here, a timestamp of 0 is at most the time the silo
/// took to start, which stays under the watchdog's threshold (twice
/// <c>ClusterMembershipOptions.LocalHealthDegradationMonitoringPeriod</c>, 20 s) unless start-up really
/// stalled. Timestamps are only ever compared within one process, so the offset changes nothing else.
/// </remarks>
public sealed class ProcessRelativeTimeProvider : TimeProvider
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    /// <summary>Stopwatch ticks (<see cref="TimestampFrequency"/> per second) since this provider was created.</summary>
    public override long GetTimestamp() => Stopwatch.GetTimestamp() - _origin;

    /// <inheritdoc />
    public override long TimestampFrequency => Stopwatch.Frequency;
}
