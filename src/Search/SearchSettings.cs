using SweepCluster.Search.Gp;
using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search;

/// <summary>How a search proposes parameters; names in <see cref="SamplerSettings.KindNames"/>.</summary>
public enum SamplerKind { Tpe, TpeMultivariate, Random, Gp }

/// <summary>When a search stops a trial early; names in <see cref="PrunerSettings.KindNames"/>.</summary>
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

    /// <summary>
    /// The one name of each kind, in the order errors list them: the names study files, the ask/tell server
    /// and search snapshots use (snake_case, as the snapshot's enum names and the pruner's fold rules).
    /// </summary>
    public static IReadOnlyList<string> KindNames { get; } = [.. new[] { SamplerKind.Tpe, SamplerKind.TpeMultivariate, SamplerKind.Gp, SamplerKind.Random }.Select(KindName)];

    /// <summary>The kind a canonical name stands for.</summary>
    /// <exception cref="ArgumentException">Any other name, with the names accepted.</exception>
    public static SamplerKind ParseKind(string name)
    {
        var canonical = name.Trim().ToLowerInvariant();
        foreach (var kind in Enum.GetValues<SamplerKind>())
            if (KindName(kind) == canonical) return kind;
        throw new ArgumentException($"unknown sampler '{name}' (expected {string.Join(", ", KindNames)})");
    }

    /// <summary>The canonical name of <paramref name="kind"/> (tpe, tpe_multivariate, gp, random).</summary>
    public static string KindName(SamplerKind kind) => kind switch
    {
        SamplerKind.Tpe => "tpe",
        SamplerKind.TpeMultivariate => "tpe_multivariate",
        SamplerKind.Gp => "gp",
        SamplerKind.Random => "random",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sampler"),
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

    /// <summary>The fold rule a study file or the ask/tell server names: running_mean or current_fold.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static FoldRule ParseFoldRule(string name) => name.Trim().ToLowerInvariant() switch
    {
        "running_mean" => FoldRule.RunningMean,
        "current_fold" => FoldRule.CurrentFold,
        _ => throw new ArgumentException($"unknown fold rule '{name}' (expected {string.Join(" or ", FoldRuleNames)})"),
    };

    /// <summary>The one name of each kind, in the order errors list them (none, median, percentile, extrapolating).</summary>
    public static IReadOnlyList<string> KindNames { get; } = [.. Enum.GetValues<PrunerKind>().Select(KindName)];

    /// <summary>The fold rules' names (running_mean, current_fold).</summary>
    public static IReadOnlyList<string> FoldRuleNames { get; } = ["running_mean", "current_fold"];

    /// <summary>The kind a canonical name stands for.</summary>
    /// <exception cref="ArgumentException">Any other name, with the names accepted.</exception>
    public static PrunerKind ParseKind(string name)
    {
        var canonical = name.Trim().ToLowerInvariant();
        foreach (var kind in Enum.GetValues<PrunerKind>())
            if (KindName(kind) == canonical) return kind;
        throw new ArgumentException($"unknown pruner '{name}' (expected {string.Join(", ", KindNames)})");
    }

    /// <summary>The canonical name of <paramref name="kind"/>.</summary>
    public static string KindName(PrunerKind kind) => kind switch
    {
        PrunerKind.None => "none",
        PrunerKind.Median => "median",
        PrunerKind.Percentile => "percentile",
        PrunerKind.Extrapolating => "extrapolating",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown pruner"),
    };

    /// <summary>The canonical name of <paramref name="rule"/>.</summary>
    public static string FoldRuleName(FoldRule rule) => FoldRuleNames[rule == FoldRule.RunningMean ? 0 : 1];
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
