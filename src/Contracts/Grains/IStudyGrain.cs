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
    /// (<see cref="InvalidOperationException"/>). A spec whose sampler was chosen by <c>kind: auto</c> matches the
    /// stored study whatever sampler that holds: auto is decided once, at the first submit. Atomic: a spec outside <see cref="StudyLimits"/> (checked
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

    /// <summary>
    /// `sweep enqueue` (Optuna's <c>enqueue_trial</c>): the next trial of each named backbone (all of them when
    /// <paramref name="backbone"/> is null) takes these parameters (NAME → value as text); the sampler draws
    /// the rest. Created at once and offered before the sampler's trials. It takes the place of the next
    /// sampled trial; when the backbone's budget is all asked it is added on top (the budget grows by one),
    /// and a finished study runs again. Persisted before it is acknowledged.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown backbone, or a value that does not fit the space ("parameter 'lr': ..."); nothing is stored.</exception>
    /// <exception cref="InvalidOperationException">The study was cancelled.</exception>
    [Alias("Enqueue")] Task<IReadOnlyList<TrialView>> Enqueue(string? backbone, IReadOnlyDictionary<string, string> parameters);

    /// <summary>
    /// `sweep retry`: <paramref name="trial"/> null: every failed search trial not retried before gets a new
    /// trial with its parameters; else that one (finished) trial of <paramref name="backbone"/> does. Retries
    /// are added on top of the budget, are offered first, and a finished study runs again. Returns the new trials.
    /// </summary>
    /// <exception cref="ArgumentException">No such backbone or trial, or the trial has not finished.</exception>
    /// <exception cref="InvalidOperationException">The study was cancelled.</exception>
    [Alias("Retry")] Task<IReadOnlyList<TrialView>> Retry(string? backbone, int? trial);

    /// <summary>
    /// `sweep delete`: removes the study, its trials and its list entry from storage; returns its last status.
    /// </summary>
    /// <exception cref="InvalidOperationException">Trials are running and <paramref name="force"/> is false; nothing changed.</exception>
    [Alias("Delete")] Task<StudyStatus> Delete(bool force);

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
