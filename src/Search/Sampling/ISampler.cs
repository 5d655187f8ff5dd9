using SweepCluster.Search.Numerics;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Sampling;

/// <summary>What a sampler sees when asked for one trial's parameters.</summary>
/// <param name="Trials">Every trial so far, the one being sampled excluded.</param>
public sealed record SamplingContext(
    SearchSpace Space, IReadOnlyList<TrialRecord> Trials, int TrialNumber, StudyDirection Direction, SeededRandom Random, long Seed)
{
    /// <summary>
    /// Other tasks' trials (other backbones of the same study, one list per task) that the sampler may learn
    /// from; empty unless sharing is on. Only their finished trials whose parameters fit this space are used
    /// (<see cref="RelatedTasks.Usable"/>). Random search ignores them.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<TrialRecord>> Related { get; init; } = [];
}

public interface ISampler
{
    /// <summary>Internal values for every parameter that is active given the others.</summary>
    Dictionary<string, double> Sample(SamplingContext context);
}
