using SweepCluster.Search.Sampling;
using System.Diagnostics;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Synthetic;
using SweepCluster.Worker.Simulation;
using SweepCluster.Worker.Workloads;
using static SweepCluster.Worker.Tests.Simulation.SimulatedStudies;

namespace SweepCluster.Worker.Tests.Simulation;

public sealed class SimulatedWorkloadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(WorkloadResult Result, RecordingReporter Reporter)> RunAsync(
        StudySpec spec, TrialAssignment assignment, Func<int, ReportVerdict>? verdictAt = null)
    {
        var reporter = new RecordingReporter(verdictAt);
        var result = await new SimulatedWorkload().RunAsync(assignment, spec, reporter, Ct);
        return (result, reporter);
    }

    [Fact]
    public async Task Same_trial_reports_the_same_curve_on_every_attempt_and_worker()
    {
        var spec = Study();
        var (first, firstReporter) = await RunAsync(spec, Assignment(SuiteParams(), attempt: 1));
        var (second, secondReporter) = await RunAsync(spec, Assignment(SuiteParams(), attempt: 2));

        Assert.Equal(firstReporter.Reports, secondReporter.Reports);
        var completed = Assert.IsType<WorkloadResult.Completed>(first);
        Assert.Equal(completed.Value, Assert.IsType<WorkloadResult.Completed>(second).Value);
        Assert.Equal(firstReporter.Reports, completed.IntermediateValues);
        Assert.Equal(completed.IntermediateValues[^1].Value, completed.Value);
    }

    [Theory]
    [InlineData(LearningCurves.Crossing)]
    [InlineData(LearningCurves.Parallel)]
    public async Task Suite_parameters_reproduce_the_suite_curve_plus_the_backbone_offset(string family)
    {
        var (_, reporter) = await RunAsync(Study(Workload(family)), Assignment(SuiteParams(lr: 3e-3, reg: 0.4, momentum: 0.5), number: 3));

        var trialIndex = SimulatedCurve.NoiseTrialIndex("bert", 3);
        var expected = Enumerable.Range(1, LearningCurves.Steps).Select(t =>
            LearningCurves.Observed(family, 3e-3, 0.4, 0.5, Seed, trialIndex, t) + SimulatedCurve.BackboneOffset("bert"));
        Assert.Equal(expected, reporter.Values);
        Assert.Equal(Enumerable.Range(1, LearningCurves.Steps), reporter.Reports.Select(r => r.Step));
    }

    [Fact]
    public async Task Folds_report_each_fold_at_its_position_and_complete_with_the_mean_of_the_fold_finals()
    {
        var spec = Study(Workload(steps: 4) with { Folds = 3 });
        var (result, reporter) = await RunAsync(spec, Assignment(SuiteParams(lr: 3e-3, reg: 0.4, momentum: 0.5), number: 3));

        // Fold k's epoch e at ReportPosition (k, e): steps 1..4, 1001..1004, 2001..2004, as training reports them.
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(k => Enumerable.Range(1, 4).Select(e => 1000 * k + e)), reporter.Reports.Select(r => r.Step));
        var trialIndex = SimulatedCurve.NoiseTrialIndex("bert", 3);
        var finals = Enumerable.Range(0, 3).Select(k =>
            LearningCurves.Observed(LearningCurves.Crossing, 3e-3, 0.4, 0.5, Seed, trialIndex, 4, k, 3) + SimulatedCurve.BackboneOffset("bert")).ToArray();
        Assert.Equal(finals, reporter.Reports.Where(r => ReportPosition.FromStep(r.Step).Epoch == 4).Select(r => r.Value));
        Assert.Equal(finals.Average(), Assert.IsType<WorkloadResult.Completed>(result).Value, 12);
    }

    [Fact]
    public async Task Learning_rate_and_weight_decay_are_read_as_lr_and_reg()
    {
        const string aliasSpace =
            """{"learning_rate":{"type":"float","low":1e-5,"high":1e-1,"log":true},"weight_decay":{"type":"float","low":0,"high":1},"momentum":{"type":"float","low":0,"high":0.99}}""";
        var aliased = new Dictionary<string, object> { ["learning_rate"] = 3e-3, ["weight_decay"] = 0.4, ["momentum"] = 0.5 };

        var (_, suite) = await RunAsync(Study(), Assignment(SuiteParams(lr: 3e-3, reg: 0.4, momentum: 0.5)));
        var (_, alias) = await RunAsync(Study(spaceJson: aliasSpace), Assignment(aliased));

        Assert.Equal(suite.Values, alias.Values);
    }

    [Fact]
    public async Task Named_values_outside_the_suite_ranges_are_clamped_into_them()
    {
        const string wideSpace =
            """{"lr":{"type":"float","low":1e-6,"high":10,"log":true},"reg":{"type":"float","low":-1,"high":5},"momentum":{"type":"float","low":0,"high":1}}""";

        var (_, clamped) = await RunAsync(Study(spaceJson: wideSpace), Assignment(SuiteParams(lr: 10, reg: 5, momentum: 1)));
        var (_, edge) = await RunAsync(Study(), Assignment(SuiteParams(lr: 0.1, reg: 1, momentum: 0.99)));

        Assert.Equal(edge.Values, clamped.Values);
    }

    [Fact]
    public async Task Maximized_objectives_get_one_minus_the_loss()
    {
        var (_, minimized) = await RunAsync(Study(direction: StudyDirection.Minimize), Assignment(SuiteParams()));
        var (maximized, reporter) = await RunAsync(Study(direction: StudyDirection.Maximize), Assignment(SuiteParams()));

        Assert.Equal(minimized.Values.Select(loss => 1 - loss), reporter.Values);
        Assert.Equal(1 - minimized.Values.Last(), Assert.IsType<WorkloadResult.Completed>(maximized).Value);
    }

    [Fact]
    public async Task Backbones_get_different_curves_for_the_same_parameters()
    {
        var (_, bert) = await RunAsync(Study(), Assignment(SuiteParams(), backbone: "bert"));
        var (_, roberta) = await RunAsync(Study(), Assignment(SuiteParams(), backbone: "roberta"));

        Assert.NotEqual(bert.Values, roberta.Values);
        Assert.InRange(SimulatedCurve.BackboneOffset("bert"), 0, SimulatedCurve.MaxBackboneOffset);
        Assert.NotEqual(SimulatedCurve.BackboneOffset("bert"), SimulatedCurve.BackboneOffset("roberta"));
    }

    [Theory]
    [InlineData(ReportVerdict.Prune)]
    [InlineData(ReportVerdict.Stop)]
    [InlineData(ReportVerdict.LeaseLost)]
    public async Task A_verdict_other_than_continue_stops_the_trial_at_once(ReportVerdict verdict)
    {
        var (result, reporter) = await RunAsync(Study(), Assignment(SuiteParams()),
            verdictAt: step => step == 3 ? verdict : ReportVerdict.Continue);

        Assert.Equal(new WorkloadResult.Stopped(verdict), result);
        Assert.Equal([1, 2, 3], reporter.Reports.Select(r => r.Step));
    }

    [Fact]
    public async Task Failure_rate_one_fails_every_trial_at_its_predicted_step()
    {
        var spec = Study(Workload(failureRate: 1));
        for (var number = 0; number < 40; number++)
        {
            var assignment = Assignment(SuiteParams(), number: number);
            var (result, reporter) = await RunAsync(spec, assignment);

            var step = SimulatedFailure.StepFor(assignment, spec);
            Assert.NotNull(step);
            Assert.InRange(step.Value, 1, LearningCurves.Steps);
            Assert.Equal(new WorkloadResult.Failed($"simulated failure at step {step}"), result);
            Assert.Equal(step.Value - 1, reporter.Reports.Count);
        }
    }

    [Fact]
    public async Task Failure_rate_zero_never_fails()
    {
        var spec = Study(Workload(failureRate: 0));
        for (var number = 0; number < 40; number++)
        {
            var (result, _) = await RunAsync(spec, Assignment(SuiteParams(), number: number));
            Assert.IsType<WorkloadResult.Completed>(result);
        }
    }

    [Fact]
    public void Failures_follow_the_rate_and_depend_on_the_attempt()
    {
        var spec = Study(Workload(failureRate: 0.3));
        var attempts = Enumerable.Range(0, 2000).Select(n => Assignment(SuiteParams(), number: n / 2, attempt: 1 + n % 2)).ToList();

        var failures = attempts.Select(a => SimulatedFailure.StepFor(a, spec)).ToList();

        Assert.InRange(failures.Count(f => f is not null), 520, 680);
        Assert.Equal(failures, attempts.Select(a => SimulatedFailure.StepFor(a, spec)));
        var firstAttempts = failures.Where((_, i) => i % 2 == 0);
        var secondAttempts = failures.Where((_, i) => i % 2 == 1);
        Assert.NotEqual(firstAttempts, secondAttempts);
    }

    [Fact]
    public async Task Zero_step_time_runs_synchronously()
    {
        // 10 folds of 999 epochs: a fold holds at most 999 (ReportPosition), so many reports need many folds.
        var spec = Study(Workload(steps: 999, stepSeconds: 0) with { Folds = 10 });
        var reporter = new RecordingReporter();
        var clock = Stopwatch.StartNew();

        var run = new SimulatedWorkload().RunAsync(Assignment(SuiteParams()), spec, reporter, Ct);

        Assert.True(run.IsCompletedSuccessfully, "no timer and no yield at zero step time");
        Assert.IsType<WorkloadResult.Completed>(await run);
        Assert.Equal(9_990, reporter.Reports.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Step_time_is_waited_between_reports()
    {
        var clock = Stopwatch.StartNew();
        var (result, _) = await RunAsync(Study(Workload(steps: 3, stepSeconds: 0.05)), Assignment(SuiteParams()));

        Assert.IsType<WorkloadResult.Completed>(result);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(140), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_interrupts_a_step()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(50));
        var reporter = new RecordingReporter();
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SimulatedWorkload().RunAsync(
            Assignment(SuiteParams()), Study(Workload(stepSeconds: 30)), reporter, cancellation.Token));

        Assert.Empty(reporter.Reports);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_stops_a_run_at_zero_step_time()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var reporter = new RecordingReporter(step =>
        {
            if (step == 5) cancellation.Cancel();
            return ReportVerdict.Continue;
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SimulatedWorkload().RunAsync(
            Assignment(SuiteParams()), Study(), reporter, cancellation.Token));

        Assert.Equal(5, reporter.Reports.Count);
    }
}
