namespace SweepCluster.Search.Synthetic;

/// <summary>
/// The pruning benchmark's synthetic learning curves (bench/hpo/SUITE.md §5), shared by bench/Hpo and
/// the worker's simulated workload:
/// y_t = a + b·exp(−c·t) + 0.01·z(stream 2, seed, 64·i + t), t = 1..30.
/// <c>crossing</c>: high lr converges fast to a worse asymptote, so curves cross (hard for median pruning).
/// <c>parallel</c>: the rate hardly depends on quality, so early rankings hold (the favourable case).
/// <para>
/// k-fold trials (<c>folds</c> ≥ 2; not in SUITE.md, which has one curve per trial): fold f of trial i is the
/// same curve with its asymptote moved by a fold offset shared by every trial (some folds are harder:
/// <see cref="FoldSharedScale"/>·z(stream 3, seed, f)) plus a trial-by-fold offset (the same quality measured
/// on other rows: <see cref="FoldNoiseScale"/>·z(stream 4, seed, 64·i + f)), and fold f ≥ 1 draws its step
/// noise from stream 100 + f instead of 2. A trial's true quality is still the noiseless y_30, which no
/// fold offset touches; one fold is SUITE's curve exactly.
/// </para>
/// </summary>
public static class LearningCurves
{
    public const string Crossing = "crossing";
    public const string Parallel = "parallel";
    public static IReadOnlyList<string> Families { get; } = [Crossing, Parallel];

    public const int Steps = 30;
    public const double NoiseScale = 0.01;
    public const ulong NoiseStream = 2;

    /// <summary>Standard deviation of a fold's asymptote offset shared by all trials (a harder or easier split).</summary>
    public const double FoldSharedScale = 0.02;
    /// <summary>Standard deviation of a trial's own asymptote offset on each fold (same quality, other rows).</summary>
    public const double FoldNoiseScale = 0.01;
    public const ulong FoldSharedStream = 3, FoldNoiseStream = 4, FoldStepStreamBase = 100;

    /// <summary>Index stride per trial in the noise stream: step t of trial i draws z(64·i + t).</summary>
    public const ulong NoiseStride = 64;

    public const double LrLow = 1e-5, LrHigh = 1e-1;
    public const double RegLow = 0, RegHigh = 1;
    public const double MomentumLow = 0, MomentumHigh = 0.99;

    public const string SpaceJson =
        """{"lr":{"type":"float","low":1e-5,"high":1e-1,"log":true},"reg":{"type":"float","low":0,"high":1},"momentum":{"type":"float","low":0,"high":0.99}}""";

    /// <summary>Noiseless optima of y_30 from SUITE.md (found numerically, L-BFGS-B multi-start).</summary>
    public static IReadOnlyDictionary<string, double> KnownOptimum { get; } = new Dictionary<string, double>
    {
        [Crossing] = 0.12321,
        [Parallel] = 0.10334,
    };

    /// <summary>Where SUITE.md puts each family's noiseless optimum of y_30.</summary>
    public static CurveInputs OptimumInputs(string family) => family switch
    {
        Crossing => new CurveInputs(Lr: 2.38e-3, Reg: 0.283, Momentum: 0.99),
        Parallel => new CurveInputs(Lr: 1e-3, Reg: 0.296, Momentum: 0.988),
        _ => throw UnknownFamily(family),
    };

    public static double Noiseless(string family, double lr, double reg, double momentum, int t)
    {
        var u = Math.Log10(lr);
        var asymptote = 0.10 + 0.08 * (u + 3) * (u + 3) + 0.15 * (reg - 0.3) * (reg - 0.3)
            + 0.05 * (momentum - 0.9) * (momentum - 0.9);
        var gap = 1.0 + 0.5 * reg;
        var rate = family switch
        {
            Crossing => 0.05 * Math.Pow(10.0, 0.5 * (u + 3)) * (1 + momentum),
            Parallel => 0.10 + 0.10 * momentum,
            _ => throw UnknownFamily(family),
        };
        return asymptote + gap * Math.Exp(-rate * t);
    }

    /// <summary>The value reported at step t (1-based) of trial <paramref name="trialIndex"/> (0-based).</summary>
    public static double Observed(string family, double lr, double reg, double momentum, ulong seed, ulong trialIndex, int t) =>
        Observed(family, lr, reg, momentum, seed, trialIndex, t, fold: 0, folds: 1);

    /// <summary>
    /// The value reported at step t (1-based) of fold <paramref name="fold"/> (0-based) of a trial with
    /// <paramref name="folds"/> folds: with one fold exactly the single-curve value above.
    /// </summary>
    public static double Observed(string family, double lr, double reg, double momentum, ulong seed, ulong trialIndex, int t, int fold, int folds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(t);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(folds);
        if (fold < 0 || fold >= folds) throw new ArgumentOutOfRangeException(nameof(fold), fold, $"a fold must be in [0, {folds})");
        ulong index;
        unchecked { index = NoiseStride * trialIndex + (ulong)t; }
        var stream = fold == 0 ? NoiseStream : FoldStepStreamBase + (ulong)fold;
        return Noiseless(family, lr, reg, momentum, t) + FoldOffset(seed, trialIndex, fold, folds)
            + NoiseScale * PortableNoise.StdNormal(stream, seed, index);
    }

    /// <summary>How far fold <paramref name="fold"/> moves the trial's asymptote: 0 with one fold.</summary>
    public static double FoldOffset(ulong seed, ulong trialIndex, int fold, int folds)
    {
        if (folds <= 1) return 0;
        ulong index;
        unchecked { index = NoiseStride * trialIndex + (ulong)fold; }
        return FoldSharedScale * PortableNoise.StdNormal(FoldSharedStream, seed, (ulong)fold)
            + FoldNoiseScale * PortableNoise.StdNormal(FoldNoiseStream, seed, index);
    }

    public static bool IsFamily(string family) => family is Crossing or Parallel;

    private static ArgumentException UnknownFamily(string family) =>
        new($"unknown learning-curve family '{family}' (expected crossing or parallel)", nameof(family));
}

/// <summary>The three inputs of a learning curve, in SUITE.md's units.</summary>
public readonly record struct CurveInputs(double Lr, double Reg, double Momentum)
{
    /// <summary>The same inputs moved into SUITE.md's ranges.</summary>
    public CurveInputs Clamped() => new(
        Math.Clamp(Lr, LearningCurves.LrLow, LearningCurves.LrHigh),
        Math.Clamp(Reg, LearningCurves.RegLow, LearningCurves.RegHigh),
        Math.Clamp(Momentum, LearningCurves.MomentumLow, LearningCurves.MomentumHigh));
}
