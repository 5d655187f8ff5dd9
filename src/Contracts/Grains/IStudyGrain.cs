using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
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
