using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Synthetic;
using SweepCluster.Worker.Workloads;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Vocabulary;

namespace SweepCluster.Worker.Tests.Simulation;

/// <summary>Studies, assignments and a reporter for running the simulated workload without a cluster.</summary>
internal static class SimulatedStudies
{
    public const int Seed = 7;

    public static StudySpec Study(
        WorkloadSpec? workload = null,
        string spaceJson = LearningCurves.SpaceJson,
        StudyDirection direction = StudyDirection.Minimize) => new()
    {
        Name = "simulated",
        Seed = Seed,
        Data = new DataSpec { Train = "unused.csv" },
        Backbones =
        [
            new BackboneSpec { Name = "bert", Family = BackboneFamily.Bert, Space = SearchSpace.FromJson(spaceJson) },
            new BackboneSpec { Name = "roberta", Family = BackboneFamily.Roberta, Space = SearchSpace.FromJson(spaceJson) },
        ],
        Budget = new BudgetSpec { TrialsPerBackbone = 100 },
        Objective = new ObjectiveSpec { Metric = "loss", Direction = direction },
        Workload = workload ?? Workload(),
    };

    public static WorkloadSpec Workload(string family = LearningCurves.Crossing, int steps = LearningCurves.Steps,
        double stepSeconds = 0, double failureRate = 0) => new()
    {
        Kind = WorkloadKind.Simulated,
        CurveFamily = family,
        Steps = steps,
        StepSeconds = stepSeconds,
        FailureRate = failureRate,
    };

    public static TrialAssignment Assignment(IReadOnlyDictionary<string, object> parameters, string backbone = "bert",
        int number = 3, int attempt = 1) => new()
    {
        StudyId = "simulated",
        Backbone = backbone,
        Number = number,
        Attempt = attempt,
        Params = parameters,
        LeaseDuration = TimeSpan.FromSeconds(30),
    };

    public static Dictionary<string, object> SuiteParams(double lr = 3e-3, double reg = 0.4, double momentum = 0.5) =>
        new() { ["lr"] = lr, ["reg"] = reg, ["momentum"] = momentum };
}

/// <summary>Records every report and answers Continue, or what <c>verdictAt</c> says for a step.</summary>
internal sealed class RecordingReporter(Func<int, ReportVerdict>? verdictAt = null) : ITrialReporter
{
    public List<StepValue> Reports { get; } = [];

    public IEnumerable<double> Values => Reports.Select(r => r.Value);

    /// <summary>Every progress sent, in order.</summary>
    public List<TrialProgress> Progress { get; } = [];

    public Task ProgressAsync(TrialProgress progress, CancellationToken cancellationToken)
    {
        Progress.Add(progress);
        return Task.CompletedTask;
    }

    public Task<ReportVerdict> ReportAsync(int step, double value, CancellationToken cancellationToken)
    {
        Reports.Add(new StepValue(step, value));
        return Task.FromResult(verdictAt?.Invoke(step) ?? ReportVerdict.Continue);
    }
}
