using SweepCluster.Contracts.Trials;
using SweepCluster.Studies;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Contracts.Studies;

public enum StudyState { Running, Finished, Cancelled }

[GenerateSerializer, Alias("sweep.StudyStatus"), Immutable]
public sealed record StudyStatus
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required StudyState State { get; init; }
    [Id(3)] public required string Metric { get; init; }
    [Id(4)] public required StudyDirection Direction { get; init; }
    [Id(5)] public required IReadOnlyList<BackboneStatus> Backbones { get; init; }
    [Id(6)] public DateTime CreatedUtc { get; init; }
    [Id(7)] public DateTime? FinishedUtc { get; init; }
    /// <summary>Estimated time left, from the mean trial duration so far and the trials still to run.</summary>
    [Id(8)] public TimeSpan? Eta { get; init; }
    /// <summary>search, final retrain, ensemble, or done.</summary>
    [Id(9)] public string Stage { get; init; } = "search";
    /// <summary>The ensemble step's status and its held-out value, once scheduled.</summary>
    [Id(10)] public TrialState? EnsembleStatus { get; init; }
    [Id(11)] public double? EnsembleValue { get; init; }
    /// <summary>The trials and post-search jobs a worker holds now (leased or running), each with its last progress.</summary>
    [Id(12)] public IReadOnlyList<TrialView> Running { get; init; } = [];

    public int Budget => Backbones.Sum(b => b.Budget);
    public int Finished => Backbones.Sum(b => b.Finished);
    public int Count(TrialState status) => Backbones.Sum(b => b.Count(status));
}

[GenerateSerializer, Alias("sweep.BackboneStatus"), Immutable]
public sealed record BackboneStatus
{
    [Id(0)] public required string Backbone { get; init; }
    [Id(1)] public required int Budget { get; init; }
    /// <summary>Trials by status; statuses with no trials may be absent.</summary>
    [Id(2)] public required IReadOnlyDictionary<TrialState, int> Counts { get; init; }
    [Id(3)] public double? BestValue { get; init; }
    [Id(4)] public int? BestTrial { get; init; }
    [Id(5)] public IReadOnlyDictionary<string, object>? BestParams { get; init; }
    /// <summary>The final retrain's status and its held-out value, once scheduled.</summary>
    [Id(6)] public TrialState? FinalStatus { get; init; }
    [Id(7)] public double? FinalValue { get; init; }
    /// <summary>
    /// Trials of the budget still to be asked: the study creates trials lazily (only as many as workers can
    /// start soon), so these have no trial yet. 0 once the study stops asking (finalized, cancelled, done).
    /// </summary>
    [Id(8)] public int NotCreated { get; init; }

    public int Count(TrialState status) => Counts.TryGetValue(status, out var n) ? n : 0;

    /// <summary>Trials that will run but have not started: created and waiting, plus those not yet created.</summary>
    public int Pending => Count(TrialState.Waiting) + NotCreated;
    public int Finished => Counts.Where(c => c.Key.IsFinished()).Sum(c => c.Value);
}

/// <summary>One line of `sweep status` with no id.</summary>
[GenerateSerializer, Alias("sweep.StudySummary"), Immutable]
public sealed record StudySummary
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required string Name { get; init; }
    [Id(2)] public required StudyState State { get; init; }
    [Id(3)] public DateTime CreatedUtc { get; init; }
}
