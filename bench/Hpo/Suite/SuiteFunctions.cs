using System.Text.Json.Nodes;
using SweepCluster.Search.Synthetic;

namespace SweepCluster.Bench.Hpo;

/// <summary>The suite's objectives: SUITE.md §1, §2, §4 in REFERENCE.md's order, then bench/Hpo/SUITE-EXTRA.md.</summary>
public static class SuiteFunctions
{
    /// <summary>Noise scale and stream of <c>hartmann6_noisy</c>: y = hartmann6(x) + 0.1·z(stream 1, seed, i).</summary>
    public const double Hartmann6NoiseScale = 0.1;
    public const ulong Hartmann6NoiseStream = 1;

    public static SuiteFunction Branin { get; } = Box("branin", 0.397887357729738,
        [(-5, 10), (0, 15)], ClassicFunctions.Branin);

    public static SuiteFunction Hartmann6 { get; } = Box("hartmann6", -3.322368011391339,
        Repeat(6, (0, 1)), ClassicFunctions.Hartmann6);

    public static SuiteFunction Rosenbrock5 { get; } = Box("rosenbrock5", 0.0,
        Repeat(5, (-5, 10)), ClassicFunctions.Rosenbrock);

    public static SuiteFunction Ackley5 { get; } = Box("ackley5", 0.0,
        Repeat(5, (-32.768, 32.768)), ClassicFunctions.Ackley);

    public static SuiteFunction Levy4 { get; } = Box("levy4", 0.0,
        Repeat(4, (-10, 10)), ClassicFunctions.Levy);

    public static SuiteFunction Hartmann6Noisy { get; } = Hartmann6 with
    {
        Name = "hartmann6_noisy",
        Noisy = true,
        Observe = (p, seed, trialIndex) => ClassicFunctions.Hartmann6(SuiteParams.Coordinates(p, 6))
            + Hartmann6NoiseScale * PortableNoise.StdNormal(Hartmann6NoiseStream, seed, trialIndex),
    };

    public static SuiteFunction MixedFineTuneFunction { get; } = new("mixed_fine_tune",
        MixedFineTune.SpaceJson, MixedFineTune.KnownOptimum, MixedFineTune.Evaluate, Noisy: false);

    // ---- SUITE-EXTRA.md: other shapes, to choose sampler defaults on functions they are not scored on ----

    /// <summary>Noise of <c>styblinski_tang4_noisy</c>: y = styblinski_tang4(x) + 5·z(stream 3, seed, i).</summary>
    public const double StyblinskiTangNoiseScale = 5.0;
    public const ulong StyblinskiTangNoiseStream = 3;

    /// <summary>Styblinski–Tang's minimum per coordinate, at xᵢ = −2.903534027771178.</summary>
    public const double StyblinskiTangMinimumPerDimension = -39.16616570377142;

    public static SuiteFunction Rastrigin6 { get; } = Box("rastrigin6", 0.0, Repeat(6, (-5.12, 5.12)), ClassicFunctions.Rastrigin);

    public static SuiteFunction Schwefel4 { get; } = Box("schwefel4", 0.0, Repeat(4, (-500, 500)), ClassicFunctions.Schwefel);

    public static SuiteFunction Griewank8 { get; } = Box("griewank8", 0.0, Repeat(8, (-600, 600)), ClassicFunctions.Griewank);

    public static SuiteFunction Step5 { get; } = Box("step5", 0.0, Repeat(5, (-5.12, 5.12)), ClassicFunctions.Step);

    public static SuiteFunction DixonPrice6 { get; } = Box("dixon_price6", 0.0, Repeat(6, (-10, 10)), ClassicFunctions.DixonPrice);

    public static SuiteFunction StyblinskiTang10 { get; } = Box("styblinski_tang10", 10 * StyblinskiTangMinimumPerDimension,
        Repeat(10, (-5, 5)), ClassicFunctions.StyblinskiTang);

    public static SuiteFunction StyblinskiTang4Noisy { get; } = Box("styblinski_tang4_noisy", 4 * StyblinskiTangMinimumPerDimension,
        Repeat(4, (-5, 5)), ClassicFunctions.StyblinskiTang) with
    {
        Noisy = true,
        Observe = (p, seed, trialIndex) => ClassicFunctions.StyblinskiTang(SuiteParams.Coordinates(p, 4))
            + StyblinskiTangNoiseScale * PortableNoise.StdNormal(StyblinskiTangNoiseStream, seed, trialIndex),
    };

    public static SuiteFunction ConditionalMixedFunction { get; } = new("conditional_mixed",
        ConditionalMixed.SpaceJson, ConditionalMixed.KnownOptimum, ConditionalMixed.Evaluate, Noisy: false);

    /// <summary>The seven functions of shared/bench/hpo/SUITE.md.</summary>
    public static IReadOnlyList<SuiteFunction> Base { get; } =
        [Branin, Hartmann6, Rosenbrock5, Ackley5, Levy4, Hartmann6Noisy, MixedFineTuneFunction];

    /// <summary>The eight functions of bench/Hpo/SUITE-EXTRA.md.</summary>
    public static IReadOnlyList<SuiteFunction> Extra { get; } =
        [Rastrigin6, Schwefel4, Griewank8, Step5, DixonPrice6, StyblinskiTang10, StyblinskiTang4Noisy, ConditionalMixedFunction];

    // Hold-out functions used both noiseless and noisy (below); not in the suite.
    private static SuiteFunction Hartmann3 { get; } = Box("hartmann3", -3.86278214782076, Repeat(3, (0, 1)), ClassicFunctions.Hartmann3);

    private static SuiteFunction StyblinskiTang6 { get; } = Box("styblinski_tang6", 6 * StyblinskiTangMinimumPerDimension,
        Repeat(6, (-5, 5)), ClassicFunctions.StyblinskiTang);

    /// <summary>
    /// Noisy objectives that are not in the suite (the noiseless function plus scale·z(stream, seed, i), metric: the noiseless
    /// value of the incumbent, as for the suite's two noisy ones), to choose a noise-handling change on without touching the
    /// scored functions. The noise is about as large against each function's spread near its optimum as the suite's.
    /// </summary>
    public static IReadOnlyList<SuiteFunction> HoldOutNoisy { get; } =
    [
        WithNoise(Branin, "branin_noisy", 1.0, 7),
        WithNoise(Levy4, "levy4_noisy", 1.0, 8),
        WithNoise(Ackley5, "ackley5_noisy", 0.5, 9),
        WithNoise(StyblinskiTang6, "styblinski_tang6_noisy", 5.0, 10),
        WithNoise(Hartmann3, "hartmann3_noisy", 0.1, 11),
    ];

    /// <summary>
    /// Noiseless objectives that are not in the suite, for the same purpose as <see cref="HoldOutNoisy"/>: low and higher
    /// dimension, smooth and multimodal, a valley and a needle-like one (Michalewicz).
    /// </summary>
    public static IReadOnlyList<SuiteFunction> HoldOutNoiseless { get; } =
    [
        Box("six_hump_camel", -1.0316284534898774, [(-3, 3), (-2, 2)], ClassicFunctions.SixHumpCamel),
        Hartmann3,
        Box("michalewicz5", -4.687658, Repeat(5, (0, Math.PI)), ClassicFunctions.Michalewicz),
        Box("zakharov6", 0.0, Repeat(6, (-5, 10)), ClassicFunctions.Zakharov),
        StyblinskiTang6,
        Box("powell8", 0.0, Repeat(8, (-4, 5)), ClassicFunctions.Powell),
    ];

    /// <summary>
    /// Conditional objectives that are not in the suite, to choose a change to conditional handling on without touching
    /// conditional_mixed: a categorical <c>family</c> picks one classic function, whose coordinates are parameters active
    /// only under that family, plus an unconditional log-scaled <c>lr</c> shared by every family. The value is the family's
    /// offset + (f(x) − f*)/spread + 0.05·(log₁₀ lr + 3)², so the optimum is the smallest offset (x at f's minimiser, lr = 1e-3).
    /// </summary>
    public static IReadOnlyList<SuiteFunction> HoldOutConditional { get; } =
    [
        Conditional("conditional_holdout_a",
        [
            new("camel", [(-3, 3), (-2, 2)], ClassicFunctions.SixHumpCamel, -1.0316284534898774, 5, 0.15),
            new("hartmann", Repeat(3, (0, 1)), ClassicFunctions.Hartmann3, -3.86278214782076, 3.86, 0),
            new("zakharov", Repeat(3, (-5, 10)), ClassicFunctions.Zakharov, 0, 200, 0.1),
        ]),
        Conditional("conditional_holdout_b",
        [
            new("styblinski", Repeat(3, (-5, 5)), ClassicFunctions.StyblinskiTang, 3 * StyblinskiTangMinimumPerDimension, 120, 0),
            new("levy", Repeat(3, (-10, 10)), ClassicFunctions.Levy, 0, 30, 0.05),
            new("rosenbrock", Repeat(3, (-5, 10)), ClassicFunctions.Rosenbrock, 0, 2e4, 0.1),
            new("branin", [(-5, 10), (0, 15)], ClassicFunctions.Branin, 0.397887357729738, 50, 0.2),
        ]),
    ];

    private sealed record Branch(string Label, (double Low, double High)[] Bounds, Formula Formula, double Minimum, double Spread, double Offset);

    private static SuiteFunction Conditional(string name, Branch[] branches)
    {
        var space = new JsonObject
        {
            ["family"] = new JsonObject { ["type"] = "categorical", ["choices"] = new JsonArray([.. branches.Select(b => (JsonNode)b.Label)]) },
            ["lr"] = new JsonObject { ["type"] = "float", ["low"] = 1e-5, ["high"] = 1e-1, ["log"] = true },
        };
        foreach (var b in branches)
            for (var j = 0; j < b.Bounds.Length; j++)
                space[$"{b.Label}_x{j}"] = new JsonObject
                {
                    ["type"] = "float", ["low"] = b.Bounds[j].Low, ["high"] = b.Bounds[j].High,
                    ["when"] = new JsonObject { ["family"] = new JsonArray(b.Label) },
                };
        double Evaluate(IReadOnlyDictionary<string, object> p)
        {
            var b = branches.First(b => b.Label == (string)p["family"]);
            var x = new double[b.Bounds.Length];
            for (var j = 0; j < x.Length; j++) x[j] = SuiteParams.Number(p, $"{b.Label}_x{j}");
            var lrPenalty = Math.Log10(SuiteParams.Number(p, "lr")) + 3;
            return b.Offset + (b.Formula(x) - b.Minimum) / b.Spread + 0.05 * lrPenalty * lrPenalty;
        }
        return new SuiteFunction(name, space.ToJsonString(), branches.Min(b => b.Offset), Evaluate, Noisy: false);
    }

    private static SuiteFunction WithNoise(SuiteFunction f, string name, double scale, ulong stream) => f with
    {
        Name = name,
        Noisy = true,
        Observe = (p, seed, trialIndex) => f.Evaluate(p) + scale * PortableNoise.StdNormal(stream, seed, trialIndex),
    };

    /// <summary>The enlarged suite: SUITE.md's seven, then SUITE-EXTRA.md's eight.</summary>
    public static IReadOnlyList<SuiteFunction> All { get; } = [.. Base, .. Extra];

    /// <summary>
    /// The two halves used to choose sampler defaults (choose on one, report on the other, then swap). Each
    /// half mixes old and new functions, low and high dimension, a noisy one and a mixed/conditional one.
    /// </summary>
    public static IReadOnlyList<string> HalfA { get; } =
        ["branin", "rosenbrock5", "levy4", "hartmann6_noisy", "rastrigin6", "griewank8", "dixon_price6", "conditional_mixed"];

    public static IReadOnlyList<string> HalfB { get; } =
        ["hartmann6", "ackley5", "mixed_fine_tune", "schwefel4", "step5", "styblinski_tang10", "styblinski_tang4_noisy"];

    /// <summary>A point where each function attains its known optimum (one of several for branin), for checks.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>> KnownOptimumPoints { get; } =
        new Dictionary<string, IReadOnlyDictionary<string, object>>
        {
            ["branin"] = Point(Math.PI, 2.275),
            ["hartmann6"] = Point(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),
            ["rosenbrock5"] = Point(1, 1, 1, 1, 1),
            ["ackley5"] = Point(0, 0, 0, 0, 0),
            ["levy4"] = Point(1, 1, 1, 1),
            ["hartmann6_noisy"] = Point(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573),
            ["mixed_fine_tune"] = MixedFineTune.OptimumParams,
            ["rastrigin6"] = Point(0, 0, 0, 0, 0, 0),
            ["schwefel4"] = Point(Enumerable.Repeat(420.9687462275036, 4).ToArray()),
            ["griewank8"] = Point(new double[8]),
            ["step5"] = Point(0, 0, 0, 0, 0),
            ["dixon_price6"] = Point(Enumerable.Range(1, 6).Select(i => Math.Pow(2, -(Math.Pow(2, i) - 2) / Math.Pow(2, i))).ToArray()),
            ["styblinski_tang10"] = Point(Enumerable.Repeat(-2.903534027771178, 10).ToArray()),
            ["styblinski_tang4_noisy"] = Point(Enumerable.Repeat(-2.903534027771178, 4).ToArray()),
            ["conditional_mixed"] = ConditionalMixed.OptimumParams,
        };

    private delegate double Formula(ReadOnlySpan<double> x);

    private static SuiteFunction Box(string name, double knownOptimum, (double Low, double High)[] bounds, Formula formula)
    {
        var d = bounds.Length;
        return new SuiteFunction(name, BoxSpaceJson(bounds), knownOptimum,
            p => formula(SuiteParams.Coordinates(p, d)), Noisy: false);
    }

    /// <summary>x0..x{d-1} as uniform floats; JsonObject keeps insertion order, which is suggestion order.</summary>
    private static string BoxSpaceJson((double Low, double High)[] bounds)
    {
        var space = new JsonObject();
        for (var j = 0; j < bounds.Length; j++)
        {
            space[$"x{j}"] = new JsonObject { ["type"] = "float", ["low"] = bounds[j].Low, ["high"] = bounds[j].High };
        }
        return space.ToJsonString();
    }

    private static (double, double)[] Repeat(int d, (double, double) bounds) => Enumerable.Repeat(bounds, d).ToArray();

    private static IReadOnlyDictionary<string, object> Point(params double[] x) =>
        Enumerable.Range(0, x.Length).ToDictionary(j => $"x{j}", j => (object)x[j]);
}
