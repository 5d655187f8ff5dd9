namespace SweepCluster.Bench.Hpo;

/// <summary>Mean, standard error, median and IQR of best_so_far over seeds at one checkpoint.</summary>
public sealed record MeasuredStats(double Mean, double StandardError, double Median, double Q1, double Q3);

/// <summary>One (function, sampler) row measured by bench/Hpo/optuna_reference.py.</summary>
/// <param name="AskTellMs">Mean ask+suggest+tell ms over trial indices 90..99 (2 jobs on 2 shared cores).</param>
public sealed record MeasuredReference(int Seeds, MeasuredStats After25, MeasuredStats After50, MeasuredStats After100, double AskTellMs)
{
    public MeasuredStats? After(int trials) => trials switch
    {
        25 => After25,
        50 => After50,
        100 => After100,
        _ => null,
    };
}

/// <summary>
/// Optuna 3.1.0 (Debian python3-optuna) measured on this project's machine by bench/Hpo/optuna_reference.py,
/// 20 seeds x 100 trials, the protocol of shared/bench/hpo/REFERENCE.md, for every function of the enlarged
/// suite (SUITE.md and SUITE-EXTRA.md). For SUITE.md's seven functions the means equal REFERENCE.md's
/// (the script reproduces them seed for seed); these rows add the standard errors.
/// Rows: OptunaMeasuredRows.cs, written by `optuna_reference.py csharp`.
/// </summary>
public static partial class OptunaMeasured
{
    public static MeasuredReference? Get(string function, string sampler) => Rows.GetValueOrDefault((function, sampler));
}
