using System.Diagnostics.Metrics;

namespace SweepCluster.Worker.Leasing;

/// <summary>
/// The worker's own instruments (meter "SweepCluster.Worker"): how long leasing takes and how trials end.
/// The scale benchmark reads them with a MeterListener; an OpenTelemetry exporter can publish them.
/// </summary>
public static class WorkerMetrics
{
    public const string MeterName = "SweepCluster.Worker";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Round trip of one queue lease call (an offer or an empty answer), in milliseconds.</summary>
    public static readonly Histogram<double> LeaseLatency = Meter.CreateHistogram<double>("sweep.worker.lease.latency", unit: "ms");

    /// <summary>From the lease call to the acknowledged completion (or stop), in milliseconds.</summary>
    public static readonly Histogram<double> TrialLifecycle = Meter.CreateHistogram<double>("sweep.worker.trial.lifecycle", unit: "ms");

    public static readonly Counter<long> TrialsRun = Meter.CreateCounter<long>("sweep.worker.trials");
}
