using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Worker.Workloads;

/// <summary>What a worker runs for one leased trial: simulated learning curves or real fine-tuning.</summary>
public interface ITrialWorkload
{
    /// <summary>Runs the trial, reporting after each step (epoch); stops as soon as a report says so.</summary>
    Task<WorkloadResult> RunAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken);
}

/// <summary>Sends one intermediate value to the trial grain and returns its verdict.</summary>
public interface ITrialReporter
{
    Task<ReportVerdict> ReportAsync(int step, double value, CancellationToken cancellationToken);

    /// <summary>
    /// Says where the trial is (phase, fold, epoch, loss, throughput) for the live view. Best effort: a
    /// lost word only makes the view a little stale, so it never fails the trial. No-op by default.
    /// </summary>
    Task ProgressAsync(TrialProgress progress, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// How one run of a workload ended, as the lease loop acts on it. Not the search's <c>TrialOutcome</c>
/// (complete, pruned, failed: what a search is told): a run can also stop without an outcome (its study was
/// cancelled, its lease was lost), and a completed run carries the reports the trial grain persists.
/// </summary>
public abstract record WorkloadResult
{
    private WorkloadResult() { }

    /// <summary>The objective value (the study's metric) and every value reported on the way.</summary>
    public sealed record Completed(double Value, IReadOnlyList<StepValue> IntermediateValues) : WorkloadResult;

    /// <summary>A report was answered with something other than Continue (pruned, cancelled, lease lost).</summary>
    public sealed record Stopped(ReportVerdict Verdict) : WorkloadResult;

    /// <summary>The trial cannot succeed with these parameters or this data; not retried.</summary>
    public sealed record Failed(string Error) : WorkloadResult;
}
