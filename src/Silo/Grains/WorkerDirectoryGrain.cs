using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Telemetry;

namespace SweepCluster.Silo.Grains;

/// <summary>Workers seen recently (soft state, rebuilt by their heartbeats within seconds of a restart).</summary>
[GrainType("sweep.workers")]
public sealed class WorkerDirectoryGrain(SweepMetrics metrics) : Grain, IWorkerDirectoryGrain
{
    /// <summary>A worker that has not sent a heartbeat for this long is shown as disconnected.</summary>
    public static readonly TimeSpan ConnectedWindow = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ForgetAfter = TimeSpan.FromMinutes(10);

    private readonly Dictionary<string, WorkerView> _workers = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(() => { Publish(); return Task.CompletedTask; }, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        return Task.CompletedTask;
    }

    public Task Heartbeat(WorkerInfo worker, string? currentTrial, int trialsFinished)
    {
        var now = DateTime.UtcNow;
        _workers.TryGetValue(worker.WorkerId, out var known);
        if (known is not null && HeldByAnother(known, worker, now))
            throw new WorkerIdInUseException($"worker id '{worker.WorkerId}' is held by a live worker (host {known.Info.Host}, pid {known.Info.ProcessId}, " +
                $"last heard {(now - known.LastSeenUtc).TotalSeconds:0} s ago); give this worker another --id, or leave --id out for a unique one");
        var firstSeen = known is not null && known.Info.Instance == worker.Instance ? known.FirstSeenUtc : now;
        _workers[worker.WorkerId] = new WorkerView
        {
            Info = worker, FirstSeenUtc = firstSeen, LastSeenUtc = now, CurrentTrial = currentTrial,
            TrialsFinished = trialsFinished, Connected = true,
        };
        Publish();
        return Task.CompletedTask;
    }

    public Task Leave(WorkerInfo worker)
    {
        // A refused duplicate leaves too (its shutdown path always does): that must not remove the holder.
        if (_workers.TryGetValue(worker.WorkerId, out var known) && (known.Info.Instance == worker.Instance || !known.Connected))
            _workers.Remove(worker.WorkerId);
        Publish();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerView>> List()
    {
        Publish();
        return Task.FromResult<IReadOnlyList<WorkerView>>(_workers.Values.OrderBy(w => w.Info.WorkerId).ToList());
    }

    /// <summary>
    /// Whether <paramref name="known"/> is another process that is still alive: one heard from within
    /// <see cref="ConnectedWindow"/>. A holder that went silent (killed, partitioned) loses its id, so a
    /// restarted worker with a fixed --id gets it back within seconds.
    /// </summary>
    private static bool HeldByAnother(WorkerView known, WorkerInfo worker, DateTime now) =>
        known.Info.Instance != worker.Instance && known.Info.Instance.Length > 0 && worker.Instance.Length > 0
        && now - known.LastSeenUtc <= ConnectedWindow;

    private void Publish()
    {
        var now = DateTime.UtcNow;
        foreach (var (id, view) in _workers.ToList())
        {
            if (now - view.LastSeenUtc > ForgetAfter) _workers.Remove(id);
            else if (view.Connected && now - view.LastSeenUtc > ConnectedWindow) _workers[id] = view with { Connected = false };
        }
        metrics.SetWorkersConnected(_workers.Values.Count(w => w.Connected));
    }
}
