namespace SweepCluster.Bench.Hpo;

/// <summary>
/// SUITE.md §2 <c>mixed_fine_tune</c>: a smooth stand-in for the validation error of a transformer
/// fine-tune over a flat mixed space (log-float, floats, int, two numeric categoricals).
/// </summary>
public static class MixedFineTune
{
    public const double KnownOptimum = 0.05;

    // Written out (not generated) so the choices keep the spec's JSON types: ints for batch_size, decimals for lwd.
    public const string SpaceJson = """
        {"lr":{"type":"float","low":1e-6,"high":1e-3,"log":true},
         "dropout":{"type":"float","low":0,"high":0.5},
         "epochs":{"type":"int","low":2,"high":30},
         "batch_size":{"type":"categorical","choices":[8,16,32,64]},
         "layerwise_decay":{"type":"categorical","choices":[0.85,0.9,0.95,1.0]},
         "warmup_ratio":{"type":"float","low":0,"high":0.5}}
        """;

    /// <summary>The optimum point: bs=16, lwd=0.95, lr=10^-4.56, d=0.1, e=8, w=0.08.</summary>
    public static IReadOnlyDictionary<string, object> OptimumParams { get; } = new Dictionary<string, object>
    {
        ["lr"] = Math.Pow(10.0, -4.56),
        ["dropout"] = 0.1,
        ["epochs"] = 8L,
        ["batch_size"] = 16L,
        ["layerwise_decay"] = 0.95,
        ["warmup_ratio"] = 0.08,
    };

    public static double Evaluate(double lr, double dropout, double epochs, double batchSize, double layerwiseDecay, double warmupRatio)
    {
        // Optimal log10(lr) couples lr with batch size and layer-wise decay.
        var uStar = -4.6 + 0.3 * Math.Log2(batchSize / 16.0) + 0.8 * (1.0 - layerwiseDecay);
        var delta = Math.Log10(lr) - uStar;
        var positive = Math.Max(delta, 0.0);
        var lrTerm = 0.06 * delta * delta + 0.05 * positive * positive * positive;
        var epochsStar = 8.0 + 20.0 * (dropout - 0.1);
        var logRatio = Math.Log(epochs / epochsStar);
        var epochsTerm = 0.04 * logRatio * logRatio;
        return 0.05 + lrTerm + 0.3 * (dropout - 0.1) * (dropout - 0.1) + epochsTerm
            + 0.25 * (warmupRatio - 0.08) * (warmupRatio - 0.08)
            + BatchSizePenalty(batchSize) + LayerwiseDecayPenalty(layerwiseDecay);
    }

    public static double Evaluate(IReadOnlyDictionary<string, object> p) => Evaluate(
        SuiteParams.Number(p, "lr"), SuiteParams.Number(p, "dropout"), SuiteParams.Number(p, "epochs"),
        SuiteParams.Number(p, "batch_size"), SuiteParams.Number(p, "layerwise_decay"), SuiteParams.Number(p, "warmup_ratio"));

    private static double BatchSizePenalty(double bs) => bs switch
    {
        8 => 0.012,
        16 => 0.0,
        32 => 0.004,
        64 => 0.015,
        _ => throw new ArgumentOutOfRangeException(nameof(bs), bs, "batch_size must be one of 8, 16, 32, 64"),
    };

    // A choice may come back as 1 (long) or 1.0 (double), and 0.9 may carry rounding; match to the nearest choice.
    private static double LayerwiseDecayPenalty(double lwd)
    {
        (double Choice, double Penalty)[] table = [(0.85, 0.010), (0.9, 0.003), (0.95, 0.0), (1.0, 0.008)];
        foreach (var (choice, penalty) in table)
        {
            if (Math.Abs(lwd - choice) < 1e-9) return penalty;
        }
        throw new ArgumentOutOfRangeException(nameof(lwd), lwd, "layerwise_decay must be one of 0.85, 0.9, 0.95, 1.0");
    }
}
