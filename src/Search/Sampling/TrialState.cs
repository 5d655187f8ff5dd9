namespace SweepCluster.Search.Sampling;

/// <summary>
/// A trial's life (Optuna's <c>TrialState</c>), the one state type of every project: waiting (in the queue) →
/// leased (a worker claimed it) → running (first report) → complete | pruned | failed. An expired or released
/// lease sends it back to waiting, up to the study's max_attempts. Cancelled: its study was cancelled before it
/// finished. A search's own history (<see cref="TrialRecord"/>) only ever holds running, complete, pruned and
/// failed: waiting, leased and cancelled are the cluster's.
/// </summary>
/// <remarks>
/// The numbers are pinned: stored trial grains hold the state as an integer (Orleans' binary format), written
/// with these values (<c>StoredStudyTests</c>). Never renumber.
/// </remarks>
public enum TrialState { Waiting = 0, Leased = 1, Running = 2, Complete = 3, Pruned = 4, Failed = 5, Cancelled = 6 }

/// <summary>Questions every layer asks of a state, answered once.</summary>
public static class TrialStateExtensions
{
    /// <summary>Complete, pruned, failed or cancelled: nothing more will happen to the trial.</summary>
    public static bool IsFinished(this TrialState state) =>
        state is TrialState.Complete or TrialState.Pruned or TrialState.Failed or TrialState.Cancelled;

    /// <summary>Waiting, leased or running.</summary>
    public static bool IsInFlight(this TrialState state) => !state.IsFinished();

    /// <summary>The lower-case name the CLI, JSON output and the ask/tell protocol use ("complete", "pruned").</summary>
    public static string ToWire(this TrialState state) => state.ToString().ToLowerInvariant();
}
