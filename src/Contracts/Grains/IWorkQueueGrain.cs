using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

/// <summary>The cluster's work queue (one grain, key 0): waiting trials and the leases handed out.</summary>
[Alias("sweep.IWorkQueueGrain")]
public interface IWorkQueueGrain : IGrainWithIntegerKey
{
    /// <summary>Adds or re-adds a waiting trial (idempotent by trial key). Returns the queue's generation.</summary>
    [Alias("Enqueue")] Task<Guid> Enqueue(QueueEntry entry);
    /// <summary>Tells the queue about a trial already leased (after the queue restarted), so its expiry is watched.</summary>
    [Alias("Track")] Task<Guid> Track(QueueEntry entry, DateTime expiresUtc);
    /// <summary>Oldest waiting trial this worker can run, or null.</summary>
    [Alias("Lease")] Task<TrialAssignment?> Lease(WorkerInfo worker);
    [Alias("Finished"), OneWay] Task Finished(string trialKey);
    [Alias("RemoveStudy")] Task RemoveStudy(string studyId);
    /// <summary>Changes whenever the queue's in-memory state was lost (a new activation).</summary>
    [Alias("GetGeneration")] Task<Guid> GetGeneration();
    [Alias("GetStats")] Task<QueueStats> GetStats();
}
