using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Telemetry;

/// <summary>
/// SweepCluster's instruments (meter "SweepCluster"), exported by the silo's /metrics endpoint. Gauges
/// report what the grains active in this silo last published; Prometheus names in docs/metrics.md.
/// </summary>
public sealed class SweepMetrics : IDisposable
{
    public const string MeterName = "SweepCluster";

    private readonly Meter _meter;
    private readonly Counter<long> _trialsFinished;
    private readonly Histogram<double> _trialDuration;
    private readonly Counter<long> _leasesExpired;
    private readonly ConcurrentDictionary<(string Study, string Backbone), BackboneSnapshot> _backbones = new();
    private int _queueWaiting;
    private int _queueLeased;
    private int _workersConnected;

    private sealed record BackboneSnapshot(IReadOnlyDictionary<TrialState, int> Counts, double? Best);

    public SweepMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _trialsFinished = _meter.CreateCounter<long>("sweep.trials.finished", description: "Trials finished, by study, backbone and final status");
        _trialDuration = _meter.CreateHistogram<double>("sweep.trial.duration", unit: "s", description: "Wall time from a trial's start to its end",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200] });
        _leasesExpired = _meter.CreateCounter<long>("sweep.leases.expired", description: "Leases that expired (worker lost); the trial went back to the queue or failed");
        _meter.CreateObservableGauge("sweep.queue.waiting", () => Volatile.Read(ref _queueWaiting), description: "Trials waiting for a worker");
        _meter.CreateObservableGauge("sweep.queue.leased", () => Volatile.Read(ref _queueLeased), description: "Trials leased to workers");
        _meter.CreateObservableGauge("sweep.workers.connected", () => Volatile.Read(ref _workersConnected), description: "Workers that sent a heartbeat in the last 15 s");
        _meter.CreateObservableGauge("sweep.trials", ObserveTrials, description: "Trials by study, backbone and status");
        _meter.CreateObservableGauge("sweep.best.value", ObserveBest, description: "Best objective value so far, by study and backbone");
    }

    public void TrialFinished(TrialView trial)
    {
        var tags = new System.Diagnostics.TagList { { "study", trial.StudyId }, { "backbone", trial.Job.Name }, { "status", trial.Status.ToWire() } };
        _trialsFinished.Add(1, tags);
        if (trial.Duration is { } d) _trialDuration.Record(d.TotalSeconds, tags);
    }

    /// <summary>Counts one expired lease of a trial of <paramref name="study"/>'s <paramref name="backbone"/>.</summary>
    public void LeaseExpired(string study, string backbone) => _leasesExpired.Add(1, StudyTags(study, backbone));

    public void SetQueueDepth(int waiting, int leased)
    {
        Volatile.Write(ref _queueWaiting, waiting);
        Volatile.Write(ref _queueLeased, leased);
    }

    public void SetWorkersConnected(int count) => Volatile.Write(ref _workersConnected, count);

    /// <summary>
    /// Publishes a backbone's trial counts and best value. The first time a (study, backbone) is seen its
    /// lease-expiry counter is created at 0, so rate() and increase() answer 0 rather than "no data" until
    /// the first expiry (Prometheus cannot tell a counter that never moved from one that does not exist).
    /// </summary>
    public void SetStudyBackbone(string study, string backbone, IReadOnlyDictionary<TrialState, int> counts, double? best)
    {
        if (_backbones.TryAdd((study, backbone), new BackboneSnapshot(counts, best))) _leasesExpired.Add(0, StudyTags(study, backbone));
        else _backbones[(study, backbone)] = new BackboneSnapshot(counts, best);
    }

    private static System.Diagnostics.TagList StudyTags(string study, string backbone) => new() { { "study", study }, { "backbone", backbone } };

    public void ForgetStudy(string study)
    {
        foreach (var key in _backbones.Keys.Where(k => k.Study == study)) _backbones.TryRemove(key, out _);
    }

    private IEnumerable<Measurement<int>> ObserveTrials()
    {
        foreach (var ((study, backbone), snapshot) in _backbones)
        foreach (var status in Enum.GetValues<TrialState>())
            yield return new Measurement<int>(snapshot.Counts.GetValueOrDefault(status),
                new KeyValuePair<string, object?>("study", study), new KeyValuePair<string, object?>("backbone", backbone),
                new KeyValuePair<string, object?>("status", status.ToWire()));
    }

    private IEnumerable<Measurement<double>> ObserveBest()
    {
        foreach (var ((study, backbone), snapshot) in _backbones)
            if (snapshot.Best is double best)
                yield return new Measurement<double>(best, new KeyValuePair<string, object?>("study", study), new KeyValuePair<string, object?>("backbone", backbone));
    }

    public void Dispose() => _meter.Dispose();
}
