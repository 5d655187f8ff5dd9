namespace SweepCluster.Search.Sampling;

public enum TrialState { Running, Complete, Pruned, Failed }

/// <summary>
/// One trial in a search's history. Params hold internal values (see ParamDistribution): the value itself
/// for numbers, the choice index for categoricals. Only parameters that were active are present.
/// </summary>
public sealed class TrialRecord
{
    public required int Number { get; init; }
    public TrialState State { get; internal set; } = TrialState.Running;
    public required IReadOnlyDictionary<string, double> Params { get; init; }
    public double? Value { get; internal set; }
    public SortedDictionary<int, double> IntermediateValues { get; init; } = new();
    public string? Error { get; internal set; }

    public bool IsFinished => State != TrialState.Running;

    /// <summary>The last reported step and its value, or null when nothing was reported.</summary>
    public (int Step, double Value)? LastReport =>
        IntermediateValues.Count == 0 ? null : (IntermediateValues.Keys.Last(), IntermediateValues.Values.Last());
}
