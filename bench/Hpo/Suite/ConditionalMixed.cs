namespace SweepCluster.Bench.Hpo;

/// <summary>
/// SUITE-EXTRA.md <c>conditional_mixed</c>: a model family (categorical) decides which parameters exist.
/// linear ≥ 0.20, tree ≥ 0.12, mlp ≥ 0.08 (the optimum, in the branch with the most parameters).
/// </summary>
public static class ConditionalMixed
{
    public const double KnownOptimum = 0.08;

    public const string SpaceJson = """
        {"model":{"type":"categorical","choices":["linear","tree","mlp"]},
         "l2":{"type":"float","low":1e-6,"high":1e2,"log":true,"when":{"model":["linear"]}},
         "l1_ratio":{"type":"float","low":0,"high":1,"when":{"model":["linear"]}},
         "max_depth":{"type":"int","low":2,"high":16,"when":{"model":["tree"]}},
         "tree_lr":{"type":"float","low":1e-3,"high":1,"log":true,"when":{"model":["tree"]}},
         "subsample":{"type":"float","low":0.5,"high":1,"step":0.05,"when":{"model":["tree"]}},
         "width":{"type":"int","low":16,"high":1024,"log":true,"when":{"model":["mlp"]}},
         "layers":{"type":"int","low":1,"high":4,"when":{"model":["mlp"]}},
         "mlp_lr":{"type":"float","low":1e-5,"high":1e-1,"log":true,"when":{"model":["mlp"]}},
         "dropout":{"type":"float","low":0,"high":0.6,"when":{"model":["mlp"]}}}
        """;

    public static IReadOnlyDictionary<string, object> OptimumParams { get; } = new Dictionary<string, object>
    {
        ["model"] = "mlp",
        ["width"] = 256L,
        ["layers"] = 3L,
        ["mlp_lr"] = Math.Pow(10.0, -3.2),
        ["dropout"] = 0.2,
    };

    public static double Evaluate(IReadOnlyDictionary<string, object> p)
    {
        var model = (string)p["model"];
        switch (model)
        {
            case "linear":
            {
                var l2 = SuiteParams.Number(p, "l2");
                var l1Ratio = SuiteParams.Number(p, "l1_ratio");
                var u = Math.Log10(l2) + 2.0;
                return 0.20 + 0.004 * u * u + 0.05 * (l1Ratio - 0.3) * (l1Ratio - 0.3);
            }
            case "tree":
            {
                var depth = SuiteParams.Number(p, "max_depth") - 7.0;
                var u = Math.Log10(SuiteParams.Number(p, "tree_lr")) + 1.3;
                var subsample = SuiteParams.Number(p, "subsample") - 0.8;
                return 0.12 + 0.002 * depth * depth + 0.03 * u * u + 0.2 * subsample * subsample;
            }
            case "mlp":
            {
                var logWidth = Math.Log2(SuiteParams.Number(p, "width")) - 8.0;
                var layers = SuiteParams.Number(p, "layers") - 3.0;
                var uStar = -3.2 - 0.25 * logWidth; // wider nets want a smaller learning rate
                var u = Math.Log10(SuiteParams.Number(p, "mlp_lr")) - uStar;
                var dropout = SuiteParams.Number(p, "dropout") - 0.2;
                return 0.08 + 0.004 * logWidth * logWidth + 0.01 * layers * layers + 0.03 * u * u + 0.15 * dropout * dropout;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(p), model, "model must be linear, tree or mlp");
        }
    }
}
