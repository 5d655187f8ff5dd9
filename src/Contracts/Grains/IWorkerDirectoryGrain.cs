using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

/// <summary>Connected workers (key 0), fed by worker heartbeats.</summary>
[Alias("sweep.IWorkerDirectoryGrain")]
public interface IWorkerDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Registers or refreshes <paramref name="worker"/>.</summary>
    /// <exception cref="WorkerIdInUseException">Another live process (a different <see cref="WorkerInfo.Instance"/>,
    /// heard from within the connected window, 15 s) holds the same worker id.</exception>
    [Alias("Heartbeat")] Task Heartbeat(WorkerInfo worker, string? currentTrial, int trialsFinished);
    /// <summary>Forgets <paramref name="worker"/>'s id, unless another process holds it now.</summary>
    [Alias("Leave")] Task Leave(WorkerInfo worker);
    [Alias("List")] Task<IReadOnlyList<WorkerView>> List();
}
