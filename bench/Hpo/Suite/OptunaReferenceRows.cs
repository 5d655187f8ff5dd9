namespace SweepCluster.Bench.Hpo;

/// <summary>best_so_far over seeds at one checkpoint: mean, median and the interquartile range.</summary>
public sealed record BestValueStats(double Mean, double Median, double Q1, double Q3);

/// <summary>One (function, sampler) row of REFERENCE.md's best-value tables.</summary>
public sealed record QualityReference(BestValueStats After25, BestValueStats After50, BestValueStats After100)
{
    public BestValueStats? After(int trials) => trials switch
    {
        25 => After25,
        50 => After50,
        100 => After100,
        _ => null,
    };
}

/// <summary>One (function, sampler) row of the sampler-overhead table (single-process timing pass, seeds 0-4).</summary>
/// <param name="SamplerMsAt100">Mean time inside the sampler per trial over trial indices 90..99.</param>
/// <param name="FrameworkMsAt100">Same window, ask+suggest+tell.</param>
/// <param name="SamplerMsMean">Sampler time per trial averaged over all 100 trials.</param>
/// <param name="WallSecondsPerStudy">Total wall time of a 100-trial study.</param>
public sealed record OverheadReference(double SamplerMsAt100, double FrameworkMsAt100, double SamplerMsMean, double WallSecondsPerStudy);

/// <summary>One (family, pruner) row of the pruning tables (10 seeds x 100 trials, 30 steps, TPE).</summary>
/// <param name="BestFinalMean">Lowest observed (noisy) step-30 value among complete trials, mean over seeds.</param>
/// <param name="BestTrueMean">The noiseless value of that trial, mean over seeds.</param>
/// <param name="StepsMean">Total training steps consumed (at most 3000).</param>
public sealed record PruningReference(
    double BestFinalMean, double BestFinalMedian,
    double BestTrueMean, double BestTrueMedian,
    double StepsMean, int StepsMin, int StepsMax,
    double PrunedTrialsMean);

/// <summary>
/// Equal-budget comparison: the pruned run's best (true) final value vs. the no-pruning run's best
/// (true) value at the moment it had used as many steps as the pruned run did in total (same seed).
/// </summary>
public sealed record EqualBudgetReference(double PrunedBestTrueMean, double NoPruningAtEqualStepsMean, int SeedsPrunedBetter, int Seeds);
