using SweepCluster.Contracts.Studies;
using SweepCluster.Worker.Simulation;

namespace SweepCluster.Worker.Workloads;

/// <summary>Picks what runs a study's trials on this worker.</summary>
public static class WorkloadSelector
{
    private static readonly SimulatedWorkload Simulated = new();

    public static ITrialWorkload For(StudySpec spec) => spec.Workload.Kind switch
    {
        WorkloadKind.Simulated => Simulated,
        _ => throw new NotSupportedException($"study '{spec.Name}': this worker runs only simulated workloads; start a training worker for workload '{spec.Workload.Kind.ToString().ToLowerInvariant()}'"),
    };
}
