namespace SweepCluster.Search.Tpe;

/// <summary>
/// TPE settings. Defaults follow Optuna 3.1's TPESampler unless a comment says why they differ.
/// </summary>
/// <summary>Multivariate TPE's kernel width: spread · n^(−1/(d+4)) (Scott's rule), n observations, d parameters.</summary>
public enum BandwidthRule
{
    /// <summary>spread = MultivariateBandwidth · range (Optuna 3.1: 0.2 · range).</summary>
    Range,

    /// <summary>
    /// spread = the observations' standard deviation (capped at the uniform prior's, range/√12), scaled by
    /// MultivariateBandwidth / 0.2 so that 0.2 is Scott's rule itself.
    /// </summary>
    Scott,
}

public sealed record TpeOptions
{
    /// <summary>Trials sampled at random before TPE takes over (finished trials: complete or pruned).</summary>
    public int NStartupTrials { get; init; } = 10;

    /// <summary>
    /// Candidates drawn from l(x) per ask; the one with the best l(x)/g(x) wins. Null picks the measured
    /// default: 5 for univariate TPE (independent marginals over-exploit with many candidates; 4–8 all beat
    /// Optuna's 24 on every suite function over 100 seeds), 24 for multivariate.
    /// </summary>
    public int? NEiCandidates { get; init; }

    public int EffectiveEiCandidates => NEiCandidates ?? (Multivariate ? 24 : 5);

    /// <summary>Sample all unconditional parameters jointly (kernels shared across parameters).</summary>
    public bool Multivariate { get; init; }

    /// <summary>Running trials count as the worst observations, so parallel asks spread out.</summary>
    public bool ConstantLiar { get; init; } = true;

    /// <summary>Start-up trials from a scrambled Halton sequence instead of independent draws.</summary>
    public bool QuasiRandomStartup { get; init; } = true;

    public double PriorWeight { get; init; } = 1.0;

    public bool ConsiderMagicClip { get; init; } = true;

    /// <summary>Observations at full weight before older ones ramp down (Optuna's default_weights).</summary>
    public int FullWeightCount { get; init; } = 25;

    /// <summary>gamma(n) = min(ceil(GammaFraction · n), GammaCap): how many trials form the "good" group.</summary>
    public double GammaFraction { get; init; } = 0.1;

    public int GammaCap { get; init; } = 25;

    /// <summary>
    /// Multivariate kernel width factor. With <see cref="BandwidthRule.Range"/> the width is
    /// MultivariateBandwidth · range · n^(−1/(d+4)) (Optuna 3.1: 0.2); with <see cref="BandwidthRule.Scott"/>
    /// Scott's width is multiplied by MultivariateBandwidth / 0.2, so the default 0.2 is Scott's rule itself.
    /// </summary>
    public double MultivariateBandwidth { get; init; } = 0.2;

    /// <summary>
    /// How the multivariate kernel width's spread is taken. Default Scott: the observations' own standard
    /// deviation (per parameter, per mixture), so l(x)'s kernels narrow as the good trials cluster. Chosen by
    /// holding functions out (bench/Hpo SUITE-EXTRA.md): it beat Optuna's fixed 0.2 · range and the former
    /// tuned 0.15 · range on both held-out halves of the 15-function suite.
    /// </summary>
    public BandwidthRule MultivariateBandwidthRule { get; init; } = BandwidthRule.Scott;

    /// <summary>
    /// Optuna 3.1 scores each continuous kernel without its 1/σ factor, which weights wide kernels up.
    /// True reproduces that; false uses proper densities.
    /// </summary>
    public bool OmitKernelScale { get; init; } = true;

    public void Validate()
    {
        if (NStartupTrials < 0) throw new ArgumentException($"n_startup_trials must be >= 0, got {NStartupTrials}");
        if (NEiCandidates is < 1) throw new ArgumentException($"n_ei_candidates must be >= 1, got {NEiCandidates}");
        if (!(PriorWeight > 0)) throw new ArgumentException($"prior_weight must be > 0, got {PriorWeight}");
        if (!(GammaFraction > 0 && GammaFraction <= 1)) throw new ArgumentException($"gamma fraction must be in (0, 1], got {GammaFraction}");
        if (GammaCap < 1) throw new ArgumentException($"gamma cap must be >= 1, got {GammaCap}");
        if (FullWeightCount < 1) throw new ArgumentException($"full weight count must be >= 1, got {FullWeightCount}");
        if (!(MultivariateBandwidth > 0)) throw new ArgumentException($"multivariate bandwidth must be > 0, got {MultivariateBandwidth}");
    }

    public int Gamma(int n) => Math.Min((int)Math.Ceiling(GammaFraction * n), GammaCap);
}
