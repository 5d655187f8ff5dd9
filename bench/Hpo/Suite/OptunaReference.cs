namespace SweepCluster.Bench.Hpo;

/// <summary>
/// Optuna 3.1.0's figures on this suite, transcribed from REFERENCE.md (2-core machine, in-memory
/// storage, sequential ask/tell). Compare distributions over the same seeds, not single runs.
/// Sampler names: "tpe", "tpe_mv" (multivariate), "random". Pruner names: "none", "median", "median_w5".
/// </summary>
public static class OptunaReference
{
    public const string OptunaVersion = "3.1.0";
    public const int QualitySeeds = 20;
    public const int PruningSeeds = 10;
    public const int TrialsPerStudy = 100;

    /// <summary>best_so_far after 25 / 50 / 100 trials, keyed by (function, sampler); 20 seeds.</summary>
    public static IReadOnlyDictionary<(string Function, string Sampler), QualityReference> Quality { get; } =
        new Dictionary<(string, string), QualityReference>
        {
            [("branin", "tpe")] = new(new(1.2829, 0.9798, 0.6422, 1.5394), new(0.5901, 0.5703, 0.5069, 0.6003), new(0.4234, 0.4100, 0.4041, 0.4292)),
            [("branin", "tpe_mv")] = new(new(1.2471, 0.8555, 0.6109, 1.4383), new(0.6032, 0.5576, 0.4539, 0.7781), new(0.5255, 0.4704, 0.4159, 0.5640)),
            [("branin", "random")] = new(new(3.0061, 1.8601, 0.8553, 4.2324), new(1.4495, 1.1444, 0.5618, 1.8557), new(0.8790, 0.7780, 0.5337, 1.1344)),
            [("hartmann6", "tpe")] = new(new(-1.9718, -1.9341, -2.4350, -1.6062), new(-2.6363, -2.7607, -2.8791, -2.5525), new(-3.0365, -3.0684, -3.1568, -2.9789)),
            [("hartmann6", "tpe_mv")] = new(new(-2.4487, -2.4774, -2.8410, -2.0999), new(-2.9450, -2.9999, -3.1141, -2.8119), new(-3.1096, -3.1341, -3.1801, -3.0573)),
            [("hartmann6", "random")] = new(new(-1.3047, -1.1505, -1.6479, -0.9323), new(-1.7419, -1.7682, -2.0965, -1.3673), new(-2.1494, -2.1231, -2.3896, -2.0154)),
            [("rosenbrock5", "tpe")] = new(new(3.797e+03, 2.770e+03, 1.705e+03, 4.006e+03), new(1.030e+03, 623.1060, 331.6768, 1.218e+03), new(267.7924, 147.3597, 56.3460, 388.9544)),
            [("rosenbrock5", "tpe_mv")] = new(new(2.459e+03, 1.945e+03, 612.3839, 3.384e+03), new(580.0046, 379.7688, 180.1045, 974.0208), new(202.3601, 135.2197, 100.0239, 190.0279)),
            [("rosenbrock5", "random")] = new(new(2.093e+04, 2.085e+04, 9.070e+03, 2.771e+04), new(1.146e+04, 9.336e+03, 7.095e+03, 1.265e+04), new(4.915e+03, 3.416e+03, 2.843e+03, 6.994e+03)),
            [("ackley5", "tpe")] = new(new(15.2576, 15.9298, 13.9347, 16.8080), new(12.4944, 13.1575, 10.8537, 13.9183), new(7.9496, 7.9300, 6.8831, 8.5242)),
            [("ackley5", "tpe_mv")] = new(new(15.1472, 16.0922, 11.7444, 17.1774), new(11.5537, 11.3597, 10.0448, 13.4195), new(8.8121, 8.8572, 8.0907, 9.8493)),
            [("ackley5", "random")] = new(new(18.0476, 18.1212, 16.6526, 19.2877), new(17.6324, 17.6624, 16.5116, 18.7972), new(17.2540, 17.1069, 16.4452, 17.9717)),
            [("levy4", "tpe")] = new(new(3.3569, 2.9730, 2.3011, 3.8682), new(1.5936, 1.2624, 0.8065, 1.8823), new(0.3664, 0.2516, 0.1749, 0.4960)),
            [("levy4", "tpe_mv")] = new(new(2.0964, 1.9251, 1.4018, 2.7851), new(1.0389, 0.9202, 0.5537, 1.3069), new(0.4294, 0.4066, 0.3355, 0.4842)),
            [("levy4", "random")] = new(new(4.8005, 3.8454, 3.0539, 6.7409), new(4.3346, 3.4997, 2.6445, 6.0946), new(2.8948, 2.8806, 2.2002, 3.3861)),
            [("hartmann6_noisy", "tpe")] = new(new(-1.9295, -2.0495, -2.3137, -1.7344), new(-2.5643, -2.6789, -2.8046, -2.4998), new(-3.0276, -3.0613, -3.1772, -2.9514)),
            [("hartmann6_noisy", "tpe_mv")] = new(new(-2.0538, -2.2550, -2.6400, -1.8296), new(-2.6495, -2.7251, -2.9687, -2.5490), new(-3.0450, -3.0355, -3.1110, -2.9996)),
            [("hartmann6_noisy", "random")] = new(new(-1.2828, -1.1505, -1.6479, -0.9323), new(-1.7388, -1.7667, -2.0965, -1.3673), new(-2.1337, -2.1231, -2.3896, -1.9513)),
            [("mixed_fine_tune", "tpe")] = new(new(0.0697, 0.0690, 0.0618, 0.0771), new(0.0581, 0.0563, 0.0531, 0.0604), new(0.0534, 0.0515, 0.0506, 0.0548)),
            [("mixed_fine_tune", "tpe_mv")] = new(new(0.0678, 0.0633, 0.0591, 0.0718), new(0.0575, 0.0562, 0.0542, 0.0605), new(0.0533, 0.0529, 0.0523, 0.0544)),
            [("mixed_fine_tune", "random")] = new(new(0.0775, 0.0767, 0.0728, 0.0829), new(0.0731, 0.0728, 0.0663, 0.0788), new(0.0670, 0.0663, 0.0617, 0.0718)),
        };

    /// <summary>Sampler overhead, keyed by (function, sampler); timing numbers are machine-dependent.</summary>
    public static IReadOnlyDictionary<(string Function, string Sampler), OverheadReference> Overhead { get; } =
        new Dictionary<(string, string), OverheadReference>
        {
            [("branin", "tpe")] = new(3.95, 4.16, 3.35, 0.36),
            [("branin", "tpe_mv")] = new(3.81, 4.02, 3.17, 0.34),
            [("branin", "random")] = new(0.06, 0.20, 0.06, 0.02),
            [("hartmann6", "tpe")] = new(11.66, 12.06, 9.89, 1.03),
            [("hartmann6", "tpe_mv")] = new(12.59, 13.01, 10.00, 1.04),
            [("hartmann6", "random")] = new(0.11, 0.37, 0.12, 0.04),
            [("rosenbrock5", "tpe")] = new(10.78, 11.15, 8.97, 0.94),
            [("rosenbrock5", "tpe_mv")] = new(9.01, 9.33, 7.40, 0.77),
            [("rosenbrock5", "random")] = new(0.11, 0.31, 0.10, 0.03),
            [("ackley5", "tpe")] = new(9.61, 9.96, 8.01, 0.84),
            [("ackley5", "tpe_mv")] = new(10.95, 11.35, 9.00, 0.94),
            [("ackley5", "random")] = new(0.11, 0.31, 0.10, 0.03),
            [("levy4", "tpe")] = new(8.25, 8.58, 7.12, 0.75),
            [("levy4", "tpe_mv")] = new(7.47, 7.73, 6.01, 0.63),
            [("levy4", "random")] = new(0.08, 0.27, 0.08, 0.03),
            [("hartmann6_noisy", "tpe")] = new(11.06, 11.44, 9.25, 0.96),
            [("hartmann6_noisy", "tpe_mv")] = new(9.78, 10.11, 8.23, 0.86),
            [("hartmann6_noisy", "random")] = new(0.12, 0.36, 0.12, 0.04),
            [("mixed_fine_tune", "tpe")] = new(11.77, 12.21, 9.07, 0.95),
            [("mixed_fine_tune", "tpe_mv")] = new(14.11, 14.66, 11.05, 1.16),
            [("mixed_fine_tune", "random")] = new(0.15, 0.43, 0.15, 0.04),
        };

    /// <summary>
    /// hartmann6, seed 0, 1000 trials: sampler ms/trial over the 50-trial window ending at N, keyed by
    /// sampler then N. (The two runs ran concurrently, one per core.)
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<int, double>> Scaling { get; } =
        new Dictionary<string, IReadOnlyDictionary<int, double>>
        {
            ["tpe"] = new Dictionary<int, double> { [100] = 11.3, [250] = 16.0, [500] = 49.2, [750] = 71.3, [1000] = 117.5 },
            ["tpe_mv"] = new Dictionary<int, double> { [100] = 17.7, [250] = 20.7, [500] = 37.5, [750] = 82.6, [1000] = 121.7 },
        };

    /// <summary>Total wall seconds of the 1000-trial scaling run, keyed by sampler.</summary>
    public static IReadOnlyDictionary<string, double> ScalingWallSeconds { get; } =
        new Dictionary<string, double> { ["tpe"] = 52.8, ["tpe_mv"] = 61.9 };

    /// <summary>Pruning benchmark rows, keyed by (family, pruner).</summary>
    public static IReadOnlyDictionary<(string Family, string Pruner), PruningReference> PruningTable { get; } =
        new Dictionary<(string, string), PruningReference>
        {
            [("crossing", "none")] = new(0.1085, 0.1075, 0.1307, 0.1309, 3000, 3000, 3000, 0.0),
            [("crossing", "median")] = new(0.1547, 0.1338, 0.1641, 0.1454, 1115, 699, 1417, 75.4),
            [("crossing", "median_w5")] = new(0.1414, 0.1373, 0.1536, 0.1517, 1569, 1235, 1916, 66.0),
            [("parallel", "none")] = new(0.0857, 0.0842, 0.1067, 0.1054, 3000, 3000, 3000, 0.0),
            [("parallel", "median")] = new(0.0900, 0.0907, 0.1080, 0.1079, 1304, 1051, 1732, 68.9),
            [("parallel", "median_w5")] = new(0.0891, 0.0876, 0.1065, 0.1058, 1581, 1282, 2041, 66.2),
        };

    /// <summary>Equal-budget rows (pruned run vs. no pruning at the same step count), keyed by (family, pruner).</summary>
    public static IReadOnlyDictionary<(string Family, string Pruner), EqualBudgetReference> EqualBudgetTable { get; } =
        new Dictionary<(string, string), EqualBudgetReference>
        {
            [("crossing", "median")] = new(0.1641, 0.1342, 0, 10),
            [("crossing", "median_w5")] = new(0.1536, 0.1325, 1, 10),
            [("parallel", "median")] = new(0.1080, 0.1089, 5, 10),
            [("parallel", "median_w5")] = new(0.1065, 0.1080, 4, 10),
        };

    public static double? MeanBestAfter(string function, string sampler, int trials) =>
        Quality.TryGetValue((function, sampler), out var row) ? row.After(trials)?.Mean : null;

    /// <summary>
    /// REFERENCE.md gives no standard errors; IQR / 1.349 / √seeds (exact for a normal spread) stands in for one
    /// where bench/Hpo/optuna_reference.py has not measured the row (marked "~" in the tables).
    /// </summary>
    public static double? ApproximateStandardError(string function, string sampler, int trials) =>
        Quality.TryGetValue((function, sampler), out var row) && row.After(trials) is { } s
            ? (s.Q3 - s.Q1) / 1.349 / Math.Sqrt(QualitySeeds)
            : null;

    public static double? MedianBestAfter(string function, string sampler, int trials) =>
        Quality.TryGetValue((function, sampler), out var row) ? row.After(trials)?.Median : null;

    /// <summary>Sampler ms/trial @~100 (trial indices 90..99).</summary>
    public static double? SamplerMsPerTrial(string function, string sampler) =>
        Overhead.TryGetValue((function, sampler), out var row) ? row.SamplerMsAt100 : null;

    public static double? ScalingMsPerTrial(string sampler, int trials) =>
        Scaling.TryGetValue(sampler, out var row) && row.TryGetValue(trials, out var ms) ? ms : null;

    public static PruningReference? Pruning(string family, string pruner) =>
        PruningTable.GetValueOrDefault((family, pruner));

    public static EqualBudgetReference? EqualBudget(string family, string pruner) =>
        EqualBudgetTable.GetValueOrDefault((family, pruner));
}
