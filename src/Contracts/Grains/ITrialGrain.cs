using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

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
    /// <summary>A heartbeat that also says where the trial is (<see cref="TrialProgress"/>, kept in memory for the live view).</summary>
    [Alias("Progress")] Task<ReportVerdict> Progress(int attempt, TrialProgress progress);
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
    /// <summary>Removes the trial from storage (`sweep delete`); its study has stopped it first.</summary>
    [Alias("Delete")] Task Delete();
}
