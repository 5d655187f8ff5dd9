using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

/// <summary>
/// One study (key: study id). Owns the spec and, per backbone, a search from src/Search; keeps up to
/// budget.max_parallel trials in flight, creating them lazily (a few waiting at a time, more as workers
/// start them), and stops when every backbone's budget is spent.
/// </summary>
[Alias("sweep.IStudyGrain")]
public interface IStudyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Creates the study; a repeated submit of the same spec is a no-op, a different spec is refused
    /// (<see cref="InvalidOperationException"/>). Atomic: a spec outside <see cref="StudyLimits"/> (checked
    /// here again, whatever the client), or a study whose searches cannot be built or whose first trials
    /// cannot be asked and created, throws <see cref="StudyRejectedException"/> and leaves nothing stored.
    /// Its cost does not grow with budget.max_parallel or the budget: it creates at most a few trials.
    /// </summary>
    [Alias("Submit")] Task<StudyStatus> Submit(StudySpec spec);
    [Alias("GetStatus")] Task<StudyStatus> GetStatus();
    [Alias("GetSpec")] Task<StudySpec> GetSpec();
    [Alias("GetTrials")] Task<IReadOnlyList<TrialView>> GetTrials();
    [Alias("Cancel")] Task<StudyStatus> Cancel();
    /// <summary>Stops asking new trials: once those in flight finish, the final retrain and the ensemble follow.</summary>
    [Alias("Finalize")] Task<StudyStatus> Finalize();

    /// <summary>Periodic nudge from the study directory: re-queues after a queue restart, tops up, finishes.</summary>
    [Alias("Tick"), OneWay] Task Tick();

    // Called by trial grains.
    /// <summary>
    /// A worker started the trial: its waiting slot is free, so the study creates the next one (trials are
    /// created lazily). One-way: the trial must not wait on the study, which may be reading trial views.
    /// A lost call is made good by the next tick, which re-reads every trial in flight.
    /// </summary>
    [Alias("OnTrialStarted"), OneWay] Task OnTrialStarted(string backbone, int number);
    [Alias("OnReport")] Task<ReportVerdict> OnReport(string backbone, int number, int step, double value);
    [Alias("OnTrialFinished")] Task OnTrialFinished(TrialView trial);
}

/// <summary>One trial (key: <see cref="TrialKey"/>). The authority on its state and lease.</summary>
[Alias("sweep.ITrialGrain")]
public interface ITrialGrain : IGrainWithStringKey
{
    [Alias("Initialize")] Task Initialize(TrialDefinition definition);
    /// <summary>Interleaves: the study reads views while this trial may be waiting on the study.</summary>
    [Alias("GetView"), AlwaysInterleave] Task<TrialView> GetView();

    /// <summary>The worker claims the trial under the attempt number the queue gave it. False: the offer is stale.</summary>
    [Alias("Start")] Task<bool> Start(int attempt, WorkerInfo worker);
    [Alias("Heartbeat")] Task<ReportVerdict> Heartbeat(int attempt);
    [Alias("Report")] Task<ReportVerdict> Report(int attempt, int step, double value);
    /// <summary>Persists the result, then acknowledges. Repeating it (a retried call) is harmless.</summary>
    [Alias("Complete")] Task<ReportVerdict> Complete(int attempt, double value, IReadOnlyList<StepValue> intermediateValues);
    /// <summary>The trial itself failed (bad parameters, data error): no retry.</summary>
    [Alias("Fail")] Task<ReportVerdict> Fail(int attempt, string error);
    /// <summary>The worker gives the trial back (shutting down): it returns to the queue.</summary>
    [Alias("Release")] Task Release(int attempt);

    // Called by the queue and the study.
    [Alias("CheckLease")] Task<LeaseCheck> CheckLease(int attempt);
    [Alias("Cancel")] Task Cancel();
}

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

[GenerateSerializer, Alias("sweep.QueueEntry"), Immutable]
public sealed record QueueEntry
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required string Backbone { get; init; }
    [Id(2)] public required string Family { get; init; }
    [Id(3)] public required int Number { get; init; }
    [Id(4)] public required int Attempt { get; init; }
    [Id(5)] public required IReadOnlyDictionary<string, object> Params { get; init; }
    [Id(6)] public required TimeSpan LeaseDuration { get; init; }
    [Id(7)] public long MinGpuMemoryMb { get; init; }
    [Id(8)] public bool Simulated { get; init; }

    public string TrialKey => Trials.TrialKey.Format(StudyId, Backbone, Number);

    /// <summary>The queue entry that offers this trial under <paramref name="attempt"/>.</summary>
    public static QueueEntry For(TrialDefinition d, int attempt) => new()
    {
        StudyId = d.StudyId, Backbone = d.Backbone, Family = d.Family, Number = d.Number, Attempt = attempt,
        Params = d.Params, LeaseDuration = d.LeaseDuration, MinGpuMemoryMb = d.MinGpuMemoryMb, Simulated = d.Simulated,
    };
}

[GenerateSerializer, Alias("sweep.QueueStats"), Immutable]
public sealed record QueueStats
{
    [Id(0)] public int Waiting { get; init; }
    [Id(1)] public int Leased { get; init; }
    [Id(2)] public long LeasesExpired { get; init; }
    [Id(3)] public long LeasesGranted { get; init; }
}

/// <summary>All studies (key 0): the list for `sweep status`, and the ticker that keeps running studies moving.</summary>
[Alias("sweep.IStudyDirectoryGrain")]
public interface IStudyDirectoryGrain : IGrainWithIntegerKey
{
    [Alias("Register")] Task Register(StudySummary study);
    [Alias("Update")] Task Update(StudySummary study);
    /// <summary>Drops a study that was registered but whose creation was then rolled back.</summary>
    [Alias("Unregister")] Task Unregister(string studyId);
    [Alias("List")] Task<IReadOnlyList<StudySummary>> List();
    /// <summary>Ticks every running study. Called by each silo's StudyTicker every couple of seconds.</summary>
    [Alias("Tick")] Task Tick();
}

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
