using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

/// <summary>A waiting trial (or post-search job) as the queue holds it: what a worker needs to decide it can run it.</summary>
[GenerateSerializer, Alias("sweep.QueueEntry"), Immutable]
public sealed record QueueEntry
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required string Backbone { get; init; }
    [Id(2)] public required string Family { get; init; }
    [Id(3)] public required int Number { get; init; }
    [Id(4)] public required int Attempt { get; init; }
    [Id(5)] public required IReadOnlyDictionary<string, object> Params { get; init; }
    [Id(6)] public required TimeSpan LeaseDuration { get; init; }
    [Id(7)] public long MinGpuMemoryMb { get; init; }
    [Id(8)] public bool Simulated { get; init; }
    /// <summary>
    /// Parameters a person chose (<see cref="TrialDefinition.Origin"/> set): offered before the sampler's
    /// trials, in the order they were enqueued, so known-good parameters are evaluated first.
    /// </summary>
    [Id(10)] public bool First { get; init; }
    [Id(9)] public JobKind Kind { get; init; }

    public string TrialKey => Trials.TrialKey.Format(StudyId, new StudyJob(Kind, Backbone).Name, Number);

    /// <summary>The queue entry that offers this trial under <paramref name="attempt"/>.</summary>
    public static QueueEntry For(TrialDefinition d, int attempt) => new()
    {
        StudyId = d.StudyId, Backbone = d.Backbone, Family = d.Family, Number = d.Number, Attempt = attempt,
        Params = d.Params, LeaseDuration = d.LeaseDuration, MinGpuMemoryMb = d.MinGpuMemoryMb, Simulated = d.Simulated, Kind = d.Kind,
        First = d.Origin is not null,
    };
}
