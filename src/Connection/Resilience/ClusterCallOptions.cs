namespace SweepCluster.Connection.Resilience;

/// <summary>The numbers of <see cref="ClusterCallPipeline"/>; the defaults are for production, tests shrink them.</summary>
public sealed record ClusterCallOptions
{
    /// <summary>Attempts in all, the first included (Polly needs at least 2).</summary>
    public int MaxAttempts { get; init; } = 6;
    /// <summary>The median first backoff; later ones grow exponentially, with jitter.</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The circuit opens when at least this share of the calls in the sampling window failed transiently…</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;
    /// <summary>…and the window held at least this many calls (Polly needs at least 2).</summary>
    public int BreakerMinimumThroughput { get; init; } = 8;
    /// <summary>Polly needs at least 0.5 s.</summary>
    public TimeSpan BreakerSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How long an open circuit refuses calls before letting one through to probe (at least 0.5 s).</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Each attempt is abandoned after this long (at least 10 ms).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
