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

    private static readonly KindNaming<SamplerKind> Naming = new("sampler",
        (SamplerKind.Tpe, "tpe"), (SamplerKind.TpeMultivariate, "tpe_multivariate"), (SamplerKind.Gp, "gp"), (SamplerKind.Random, "random"));

    /// <summary>
    /// The one name of each kind, in the order errors list them: the names study files, the ask/tell server
    /// and search snapshots use (snake_case, as the snapshot's enum names and the pruner's fold rules).
    /// </summary>
    public static IReadOnlyList<string> KindNames => Naming.Names;

    /// <summary>The kind a canonical name stands for.</summary>
    /// <exception cref="ArgumentException">Any other name, with the names accepted.</exception>
    public static SamplerKind ParseKind(string name) => Naming.Parse(name);

    /// <summary>The canonical name of <paramref name="kind"/> (tpe, tpe_multivariate, gp, random).</summary>
    public static string KindName(SamplerKind kind) => Naming.NameOf(kind);
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

    private static readonly KindNaming<FoldRule> FoldRuleNaming = new("fold rule",
        (FoldRule.RunningMean, "running_mean"), (FoldRule.CurrentFold, "current_fold"), (FoldRule.CompletedFolds, "completed_folds"));

    private static readonly KindNaming<PrunerKind> Naming = new("pruner",
        (PrunerKind.None, "none"), (PrunerKind.Median, "median"), (PrunerKind.Percentile, "percentile"), (PrunerKind.Extrapolating, "extrapolating"));

    /// <summary>The fold rule a study file or the ask/tell server names: running_mean, current_fold or completed_folds.</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static FoldRule ParseFoldRule(string name) => FoldRuleNaming.Parse(name);

    /// <summary>The fold rules' names (running_mean, current_fold, completed_folds).</summary>
    public static IReadOnlyList<string> FoldRuleNames => FoldRuleNaming.Names;

    /// <summary>The canonical name of <paramref name="rule"/>.</summary>
    public static string FoldRuleName(FoldRule rule) => FoldRuleNaming.NameOf(rule);

    /// <summary>The one name of each kind, in the order errors list them (none, median, percentile, extrapolating).</summary>
    public static IReadOnlyList<string> KindNames => Naming.Names;

    /// <summary>The kind a canonical name stands for.</summary>
    /// <exception cref="ArgumentException">Any other name, with the names accepted.</exception>
    public static PrunerKind ParseKind(string name) => Naming.Parse(name);

    /// <summary>The canonical name of <paramref name="kind"/>.</summary>
    public static string KindName(PrunerKind kind) => Naming.NameOf(kind);
}

/// <summary>The one name of each member of a kind enum, and the one parser of those names.</summary>
internal sealed class KindNaming<TKind>(string noun, params (TKind Kind, string Name)[] names) where TKind : struct, Enum
{
    public IReadOnlyList<string> Names { get; } = [.. names.Select(n => n.Name)];

    /// <exception cref="ArgumentException">Not one of <see cref="Names"/> (case and surrounding spaces aside).</exception>
    public TKind Parse(string name)
    {
        var canonical = name.Trim().ToLowerInvariant();
        foreach (var (kind, known) in names)
            if (known == canonical) return kind;
        throw new ArgumentException($"unknown {noun} '{name}' (expected {string.Join(", ", Names)})");
    }

    public string NameOf(TKind kind)
    {
        foreach (var (known, name) in names)
            if (EqualityComparer<TKind>.Default.Equals(known, kind)) return name;
        throw new ArgumentOutOfRangeException(nameof(kind), kind, $"unknown {noun}");
    }
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

    /// <summary>
    /// The seed of one backbone's search in a study (or a <c>sweep sampler serve --backbones</c> process) seeded
    /// <paramref name="seed"/>: each backbone gets its own stream, stable across processes and machines (FNV-1a of
    /// the name, not <see cref="string.GetHashCode()"/>, which is randomised per process). Non-negative.
    /// </summary>
    public static long BackboneSeed(long seed, string backbone)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in backbone)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return (long)((ulong)seed * 0x9E3779B97F4A7C15UL ^ hash) & long.MaxValue;
    }
}
