using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;
using SweepCluster.Worker.Workloads;

namespace SweepCluster.Worker.Simulation;

/// <summary>
/// Runs bench/hpo/SUITE.md §5's learning curves instead of training, through the same report protocol,
/// so a cluster can be exercised and benchmarked without GPUs or data. Reports a value every step after
/// waiting workload.step_seconds; stops at the first verdict other than Continue. With workload.folds = k each
/// of k folds reports its own curve of workload.steps epochs at <see cref="ReportPosition"/> (fold, epoch), as
/// k-fold training does, and the value is the mean of the folds' last values. See
/// <see cref="SimulatedCurve"/> for the values and <see cref="SimulatedFailure"/> for injected failures.
/// Stateless: one instance serves every study and trial.
/// </summary>
public sealed class SimulatedWorkload : ITrialWorkload
{
    public async Task<WorkloadResult> RunAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        var steps = spec.Workload.Steps;
        var folds = spec.Workload.Folds;
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1, "workload.steps");
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 1, "workload.folds");
        var curve = SimulatedCurve.For(assignment, spec);
        // The failure step counts epochs of fold 0, as before folds existed: a bad parameter set fails early.
        var failureStep = SimulatedFailure.StepFor(assignment, spec);
        var stepTime = TimeSpan.FromSeconds(spec.Workload.StepSeconds);
        var values = new StepValue[steps * folds];
        var sumOfFinals = 0.0;
        for (var fold = 0; fold < folds; fold++)
        {
            for (var step = 1; step <= steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // At zero step time the run must stay synchronous: no timer, no yield (the scale benchmark).
                if (stepTime > TimeSpan.Zero) await Task.Delay(stepTime, cancellationToken);
                if (fold == 0 && step == failureStep) return new WorkloadResult.Failed($"simulated failure at step {step}");
                var value = curve.ValueAt(fold, folds, step);
                var position = ReportPosition.Of(fold, step);
                // No training loss or throughput exists here; when the objective is a loss, its curve stands for one.
                await reporter.ProgressAsync(new TrialProgress
                {
                    Phase = "training", Fold = fold, Folds = folds, Epoch = step, Epochs = steps, UpdatedUtc = DateTime.UtcNow,
                    Loss = spec.Objective.Metric == "loss" ? value : null,
                }, cancellationToken);
                var verdict = await reporter.ReportAsync(position.Step, value, cancellationToken);
                if (verdict != ReportVerdict.Continue) return new WorkloadResult.Stopped(verdict);
                values[fold * steps + step - 1] = new StepValue(position.Step, value);
                if (step == steps) sumOfFinals += value;
            }
        }
        return new WorkloadResult.Completed(folds == 1 ? values[^1].Value : sumOfFinals / folds, values);
    }
}
