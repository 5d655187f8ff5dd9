namespace SweepCluster.Search.Pruning;

/// <summary>
/// The percentile pruner at the 50th percentile: stop a trial worse than the median of the completed trials at
/// its (fold, epoch). Optuna's MedianPruner defaults, except that warm-up counts epochs of every fold.
/// </summary>
public static class MedianPruner
{
    public static PercentilePruner Create(int nStartupTrials = 5, int nWarmupSteps = 0, int intervalSteps = 1, int nMinTrials = 1,
        FoldRule rule = FoldRule.RunningMean) =>
        new(50.0, nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials, rule);
}
