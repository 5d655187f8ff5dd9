using System.Text.Json.Nodes;
using SweepCluster.Search.Synthetic;

namespace SweepCluster.Bench.Hpo;

/// <summary>The suite's objectives (SUITE.md §1, §2, §4), in REFERENCE.md's order.</summary>
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

    public static IReadOnlyList<SuiteFunction> All { get; } =
        [Branin, Hartmann6, Rosenbrock5, Ackley5, Levy4, Hartmann6Noisy, MixedFineTuneFunction];

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
