using Orleans.Concurrency;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Contracts.Grains;

/// <summary>The queue's counters, for `sweep status` and the metrics.</summary>
[GenerateSerializer, Alias("sweep.QueueStats"), Immutable]
public sealed record QueueStats
{
    [Id(0)] public int Waiting { get; init; }
    [Id(1)] public int Leased { get; init; }
    [Id(2)] public long LeasesExpired { get; init; }
    [Id(3)] public long LeasesGranted { get; init; }
}
