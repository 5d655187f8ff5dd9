using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Pruning;

public interface IPruner
{
    /// <summary>Whether <paramref name="trial"/>, which has just reported, should stop now.</summary>
    bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction);
}

/// <summary>Never prunes.</summary>
public sealed class NopPruner : IPruner
{
    public bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction) => false;
}
