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
        var firstSeen = _workers.TryGetValue(worker.WorkerId, out var known) ? known.FirstSeenUtc : now;
        _workers[worker.WorkerId] = new WorkerView
        {
            Info = worker, FirstSeenUtc = firstSeen, LastSeenUtc = now, CurrentTrial = currentTrial,
            TrialsFinished = trialsFinished, Connected = true,
        };
        Publish();
        return Task.CompletedTask;
    }

    public Task Leave(string workerId)
    {
        _workers.Remove(workerId);
        Publish();
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WorkerView>> List()
    {
        Publish();
        return Task.FromResult<IReadOnlyList<WorkerView>>(_workers.Values.OrderBy(w => w.Info.WorkerId).ToList());
    }

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
