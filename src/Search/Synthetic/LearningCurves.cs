namespace SweepCluster.Search.Synthetic;

/// <summary>
/// The pruning benchmark's synthetic learning curves (bench/hpo/SUITE.md §5), shared by bench/Hpo and
/// the worker's simulated workload:
/// y_t = a + b·exp(−c·t) + 0.01·z(stream 2, seed, 64·i + t), t = 1..30.
/// <c>crossing</c>: high lr converges fast to a worse asymptote, so curves cross (hard for median pruning).
/// <c>parallel</c>: the rate hardly depends on quality, so early rankings hold (the favourable case).
/// </summary>
public static class LearningCurves
{
    public const string Crossing = "crossing";
    public const string Parallel = "parallel";
    public static IReadOnlyList<string> Families { get; } = [Crossing, Parallel];

    public const int Steps = 30;
    public const double NoiseScale = 0.01;
    public const ulong NoiseStream = 2;

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
    public static double Observed(string family, double lr, double reg, double momentum, ulong seed, ulong trialIndex, int t)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(t);
        ulong index;
        unchecked { index = NoiseStride * trialIndex + (ulong)t; }
        return Noiseless(family, lr, reg, momentum, t) + NoiseScale * PortableNoise.StdNormal(NoiseStream, seed, index);
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
