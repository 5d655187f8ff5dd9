using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Worker.Workloads;

namespace SweepCluster.Worker.Simulation;

/// <summary>
/// Runs bench/hpo/SUITE.md §5's learning curves instead of training, through the same report protocol,
/// so a cluster can be exercised and benchmarked without GPUs or data. Reports a value every step after
/// waiting workload.step_seconds; stops at the first verdict other than Continue. See
/// <see cref="SimulatedCurve"/> for the values and <see cref="SimulatedFailure"/> for injected failures.
/// Stateless: one instance serves every study and trial.
/// </summary>
public sealed class SimulatedWorkload : ITrialWorkload
{
    public async Task<TrialResult> RunAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        var steps = spec.Workload.Steps;
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1, "workload.steps");
        var curve = SimulatedCurve.For(assignment, spec);
        var failureStep = SimulatedFailure.StepFor(assignment, spec);
        var stepTime = TimeSpan.FromSeconds(spec.Workload.StepSeconds);
        var values = new StepValue[steps];
        for (var step = 1; step <= steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // At zero step time the run must stay synchronous: no timer, no yield (the scale benchmark).
            if (stepTime > TimeSpan.Zero) await Task.Delay(stepTime, cancellationToken);
            if (step == failureStep) return new TrialResult.Failed($"simulated failure at step {step}");
            var value = curve.ValueAt(step);
            var verdict = await reporter.ReportAsync(step, value, cancellationToken);
            if (verdict != ReportVerdict.Continue) return new TrialResult.Stopped(verdict);
            values[step - 1] = new StepValue(step, value);
        }
        return new TrialResult.Completed(values[^1].Value, values);
    }
}
