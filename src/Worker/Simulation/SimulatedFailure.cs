using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Numerics;
using SweepCluster.Search.Synthetic;

namespace SweepCluster.Worker.Simulation;

/// <summary>
/// Whether a simulated attempt fails (with probability workload.failure_rate) and at which step. Decided from
/// (study seed, backbone, trial number, attempt) alone, so tests can predict it and a retry may succeed.
/// </summary>
internal static class SimulatedFailure
{
    /// <summary>The 1-based step at which this attempt fails, or null when it runs to the end.</summary>
    public static int? StepFor(TrialAssignment assignment, StudySpec spec)
    {
        var workload = spec.Workload;
        if (!(workload.FailureRate > 0)) return null;
        var stream = StableHash.Of(assignment.Backbone) ^ PortableNoise.SplitMix64((ulong)assignment.Attempt);
        var random = SeededRandom.ForTrial(spec.Seed, assignment.Number, stream);
        return random.NextDouble() < workload.FailureRate ? 1 + random.NextInt(workload.Steps) : null;
    }
}
