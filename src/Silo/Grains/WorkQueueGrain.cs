using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Telemetry;

namespace SweepCluster.Silo.Grains;

/// <summary>
/// Waiting trials in FIFO order (those a person enqueued ahead of the sampler's) and the leases handed out. Soft state: it is not persisted. After it is
/// lost (a silo died), its <see cref="GetGeneration"/> changes and every study re-queues its waiting
/// trials and re-registers its leased ones on its next tick. Reentrant because every operation is a
/// synchronous in-memory change; the only awaits are lease checks, whose results are re-validated.
/// </summary>
[GrainType("sweep.queue"), Reentrant]
public sealed class WorkQueueGrain(SweepMetrics metrics, ILogger<WorkQueueGrain> logger) : Grain, IWorkQueueGrain
{
    private static readonly TimeSpan ExpiryScanInterval = TimeSpan.FromMilliseconds(500);

    private readonly Guid _generation = Guid.NewGuid();
    private readonly LinkedList<QueueEntry> _waiting = new();
    private readonly Dictionary<string, LinkedListNode<QueueEntry>> _waitingByKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, LeaseRecord> _leased = new(StringComparer.Ordinal);
    private long _expired;
    private long _granted;
    private bool _scanning;

    private sealed record LeaseRecord(QueueEntry Entry, DateTime ExpiresUtc);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(ScanExpiredLeases, new GrainTimerCreationOptions(ExpiryScanInterval, ExpiryScanInterval) { Interleave = true });
        PublishDepth();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.SetQueueDepth(0, 0);
        return Task.CompletedTask;
    }

    public Task<Guid> GetGeneration() => Task.FromResult(_generation);

    public Task<Guid> Enqueue(QueueEntry entry)
    {
        var key = entry.TrialKey;
        if (_leased.TryGetValue(key, out var lease) && lease.Entry.Attempt >= entry.Attempt) return Task.FromResult(_generation);
        _leased.Remove(key);
        if (_waitingByKey.TryGetValue(key, out var node))
        {
            if (node.Value.Attempt < entry.Attempt) node.Value = entry;
        }
        else if (entry.First)
        {
            // After the last entry that is also first: enqueued trials keep their order among themselves.
            var after = _waiting.First is { Value.First: true } ? _waiting.First : null;
            while (after?.Next is { Value.First: true }) after = after.Next;
            _waitingByKey[key] = after is null ? _waiting.AddFirst(entry) : _waiting.AddAfter(after, entry);
        }
        else
        {
            _waitingByKey[key] = _waiting.AddLast(entry);
        }
        PublishDepth();
        return Task.FromResult(_generation);
    }

    public Task<Guid> Track(QueueEntry entry, DateTime expiresUtc)
    {
        var key = entry.TrialKey;
        if (!_waitingByKey.ContainsKey(key) && (!_leased.TryGetValue(key, out var known) || known.Entry.Attempt <= entry.Attempt))
            _leased[key] = new LeaseRecord(entry, expiresUtc);
        PublishDepth();
        return Task.FromResult(_generation);
    }

    public Task<TrialAssignment?> Lease(WorkerInfo worker)
    {
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            var entry = node.Value;
            if (!CanRun(worker, entry)) continue;
            _waiting.Remove(node);
            _waitingByKey.Remove(entry.TrialKey);
            // The offer expires like a lease: a worker that dies before starting the trial gives it back.
            _leased[entry.TrialKey] = new LeaseRecord(entry, DateTime.UtcNow + entry.LeaseDuration);
            _granted++;
            PublishDepth();
            return Task.FromResult<TrialAssignment?>(new TrialAssignment
            {
                StudyId = entry.StudyId, Backbone = entry.Backbone, Number = entry.Number, Attempt = entry.Attempt,
                Params = entry.Params, LeaseDuration = entry.LeaseDuration, Kind = entry.Kind,
            });
        }
        return Task.FromResult<TrialAssignment?>(null);
    }

    /// <summary>Capability matching: simulated trials run anywhere; training trials need a training worker
    /// of the right family with enough GPU memory.</summary>
    internal static bool CanRun(WorkerInfo worker, QueueEntry entry)
    {
        if (entry.Simulated) return true;
        if (worker.SimulatedOnly) return false;
        // A job of no family (the ensemble step) runs on any training worker.
        if (entry.Family.Length > 0 && worker.Families.Count > 0 && !worker.Families.Contains(entry.Family, StringComparer.OrdinalIgnoreCase)) return false;
        return entry.MinGpuMemoryMb <= 0 || worker.GpuMemoryMb >= entry.MinGpuMemoryMb;
    }

    public Task Finished(string trialKey)
    {
        _leased.Remove(trialKey);
        if (_waitingByKey.Remove(trialKey, out var node)) _waiting.Remove(node);
        PublishDepth();
        return Task.CompletedTask;
    }

    public Task RemoveStudy(string studyId)
    {
        foreach (var key in _leased.Keys.Where(k => TrialKey.Parse(k).StudyId == studyId).ToList()) _leased.Remove(key);
        foreach (var key in _waitingByKey.Keys.Where(k => TrialKey.Parse(k).StudyId == studyId).ToList())
        {
            _waiting.Remove(_waitingByKey[key]);
            _waitingByKey.Remove(key);
        }
        PublishDepth();
        return Task.CompletedTask;
    }

    public Task<QueueStats> GetStats() => Task.FromResult(new QueueStats
    {
        Waiting = _waiting.Count, Leased = _leased.Count, LeasesExpired = _expired, LeasesGranted = _granted,
    });

    private async Task ScanExpiredLeases(CancellationToken cancellationToken)
    {
        if (_scanning) return;
        _scanning = true;
        try
        {
            var now = DateTime.UtcNow;
            var due = _leased.Values.Where(l => l.ExpiresUtc <= now).ToList();
            foreach (var lease in due)
            {
                var key = lease.Entry.TrialKey;
                LeaseCheck check;
                try
                {
                    check = await GrainFactory.GetGrain<ITrialGrain>(key).CheckLease(lease.Entry.Attempt);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "lease check of {Trial} failed; retrying on the next scan", key);
                    continue;
                }
                // The lease may have changed while we awaited (finished, re-queued): apply only to the same one.
                if (!_leased.TryGetValue(key, out var current) || current != lease) continue;
                if (check.AliveUntilUtc is { } until)
                {
                    _leased[key] = lease with { ExpiresUtc = until };
                }
                else if (check.RequeueAttempt is { } attempt)
                {
                    _expired++;
                    _leased.Remove(key);
                    await Enqueue(lease.Entry with { Attempt = attempt });
                }
                else
                {
                    _leased.Remove(key);
                }
            }
        }
        finally
        {
            _scanning = false;
            PublishDepth();
        }
    }

    private void PublishDepth() => metrics.SetQueueDepth(_waiting.Count, _leased.Count);
}
