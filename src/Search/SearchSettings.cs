using SweepCluster.Search.Gp;
using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search;

public enum SamplerKind { Tpe, TpeMultivariate, Random, Gp }

public enum PrunerKind { None, Median, Percentile, Extrapolating }

public sealed record SamplerSettings
{
    public SamplerKind Kind { get; init; } = SamplerKind.Tpe;

    /// <summary>Random search from a scrambled Halton sequence (true) or independent draws (false).</summary>
    public bool QuasiRandom { get; init; } = true;

    /// <summary>TPE options; Multivariate is implied by Kind.</summary>
    public TpeOptions Tpe { get; init; } = new();

    /// <summary>Gaussian-process sampler options (Kind = Gp).</summary>
    public GpOptions Gp { get; init; } = new();

    public ISampler Create() => Kind switch
    {
        SamplerKind.Random => new RandomSampler(QuasiRandom),
        SamplerKind.Tpe => new TpeSampler(Tpe with { Multivariate = false }),
        SamplerKind.TpeMultivariate => new TpeSampler(Tpe with { Multivariate = true }),
        SamplerKind.Gp => new GpSampler(Gp),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown sampler"),
    };

    public static SamplerKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "tpe" => SamplerKind.Tpe,
        "tpe-multivariate" or "tpe_multivariate" or "tpe-mv" => SamplerKind.TpeMultivariate,
        "random" => SamplerKind.Random,
        "gp" => SamplerKind.Gp,
        _ => throw new ArgumentException($"unknown sampler '{name}' (expected tpe, tpe-multivariate, gp or random)"),
    };

    public static string KindName(SamplerKind kind) => kind switch
    {
        SamplerKind.Tpe => "tpe",
        SamplerKind.TpeMultivariate => "tpe-multivariate",
        SamplerKind.Gp => "gp",
        _ => "random",
    };
}

public sealed record PrunerSettings
{
    public PrunerKind Kind { get; init; } = PrunerKind.None;
    public double Percentile { get; init; } = 50;
    public int NStartupTrials { get; init; } = 5;
    public int NWarmupSteps { get; init; }
    public int IntervalSteps { get; init; } = 1;
    public int NMinTrials { get; init; } = 1;
    /// <summary>What judging fold k ≥ 1 of a k-fold trial uses of its earlier folds (see <see cref="FoldRule"/>).</summary>
    public FoldRule FoldRule { get; init; } = FoldRule.RunningMean;

    public IPruner Create() => Kind switch
    {
        PrunerKind.None => new NopPruner(),
        PrunerKind.Median => MedianPruner.Create(NStartupTrials, NWarmupSteps, IntervalSteps, NMinTrials, FoldRule),
        PrunerKind.Percentile => new PercentilePruner(Percentile, NStartupTrials, NWarmupSteps, IntervalSteps, NMinTrials, FoldRule),
        PrunerKind.Extrapolating => new ExtrapolatingPruner(Percentile, NStartupTrials, Math.Max(NWarmupSteps, 5), FoldRule),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "unknown pruner"),
    };

    /// <summary>The fold rule a study file or the ask/tell server names: running_mean, current_fold or completed_folds.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static FoldRule ParseFoldRule(string name) => name.Trim().ToLowerInvariant() switch
    {
        "running_mean" => FoldRule.RunningMean,
        "current_fold" => FoldRule.CurrentFold,
        "completed_folds" => FoldRule.CompletedFolds,
        _ => throw new ArgumentException($"unknown fold rule '{name}' (expected running_mean, current_fold or completed_folds)"),
    };

    public static PrunerKind ParseKind(string name) => name.Trim().ToLowerInvariant() switch
    {
        "none" or "nop" => PrunerKind.None,
        "median" => PrunerKind.Median,
        "percentile" => PrunerKind.Percentile,
        "extrapolating" => PrunerKind.Extrapolating,
        _ => throw new ArgumentException($"unknown pruner '{name}' (expected none, median, percentile or extrapolating)"),
    };
}

/// <summary>Everything that defines a search apart from its history.</summary>
public sealed record SearchSettings(
    SearchSpace Space,
    StudyDirection Direction = StudyDirection.Minimize,
    SamplerSettings? Sampler = null,
    PrunerSettings? Pruner = null,
    long Seed = 0)
{
    public SamplerSettings Sampler { get; init; } = Sampler ?? new SamplerSettings();
    public PrunerSettings Pruner { get; init; } = Pruner ?? new PrunerSettings();
}
