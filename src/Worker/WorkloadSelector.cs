using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Worker.Simulation;
using SweepCluster.Worker.Training;
using SweepCluster.Worker.Workloads;

namespace SweepCluster.Worker;

/// <summary>
/// Picks what runs a study's trials on this worker. The training workload (and with it the native torch
/// library) is created on the first training trial, so simulated-only use never loads it.
/// </summary>
public sealed class WorkloadSelector(TrainingWorkloadOptions? training, ILogger logger)
{
    private static readonly SimulatedWorkload Simulated = new();
    private readonly Lazy<TrainingWorkload>? _training = training is null ? null : new(() =>
    {
        SweepCluster.Training.Runtime.TorchRuntime.EnsureLoadable();
        return new TrainingWorkload(training, logger);
    });

    public ITrialWorkload For(StudySpec spec) => spec.Workload.Kind switch
    {
        WorkloadKind.Simulated => Simulated,
        _ when _training is not null => _training.Value,
        _ => throw new NotSupportedException($"study '{spec.Name}': this worker runs only simulated workloads; start a training worker for workload '{spec.Workload.Kind.ToString().ToLowerInvariant()}'"),
    };
}
