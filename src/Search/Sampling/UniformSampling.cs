using SweepCluster.Search.Numerics;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Sampling;

/// <summary>Draws one internal value uniformly (log-uniformly on log scales) from a distribution.</summary>
public static class UniformSampling
{
    public static double Draw(ParamDistribution distribution, SeededRandom random) => FromUnit(distribution, random.NextDouble());

    /// <summary>
    /// Maps u in [0, 1) to the distribution by its inverse CDF, so a uniform (or quasi-random) u gives a
    /// uniform draw: every grid value, integer or choice gets an equal share of [0, 1). A single-point
    /// distribution gives its one value. Grid counts are longs: an int over 0..2^32−1 has 2^32 values.
    /// </summary>
    public static double FromUnit(ParamDistribution distribution, double u) => distribution switch
    {
        { IsSingle: true } => distribution.SingleValue,
        FloatDistribution { Log: true } f => Math.Clamp(Math.Exp(Lerp(Math.Log(f.Low), Math.Log(f.High), u)), f.Low, f.High),
        FloatDistribution { Step: double step } f => f.Snap(f.Low + Cell(u, f.GridPoints!.Value) * step),
        FloatDistribution f => Math.Clamp(Lerp(f.Low, f.High, u), f.Low, f.High),
        IntDistribution { Log: true } i => i.Snap(Math.Exp(Lerp(Math.Log(i.Low - 0.5), Math.Log(i.High + 0.5), u))),
        // In long arithmetic, exact up to the ±2^53 bounds the space allows.
        IntDistribution i => i.Low + Cell(u, i.GridPoints) * i.Step,
        CategoricalDistribution c => Cell(u, c.Choices.Count),
        _ => throw new NotSupportedException(distribution.GetType().Name),
    };

    private static double Lerp(double low, double high, double u) => low + (high - low) * u;

    private static long Cell(double u, long count) => Math.Min(count - 1, (long)(u * count));
}

/// <summary>
/// Random search. By default points come from a scrambled Halton sequence (each point uniform, the set
/// spread evenly); <c>quasiRandom: false</c> gives independent uniform draws.
/// </summary>
public sealed class RandomSampler(bool quasiRandom = true) : ISampler
{
    private ScrambledHalton? _halton;

    public Dictionary<string, double> Sample(SamplingContext context)
    {
        var assigned = new Dictionary<string, double>(StringComparer.Ordinal);
        var parameters = context.Space.Parameters;
        var useSequence = quasiRandom && parameters.Count <= ScrambledHalton.MaxDimensions;
        if (useSequence) _halton ??= new ScrambledHalton(context.Seed);
        for (var d = 0; d < parameters.Count; d++)
        {
            var definition = parameters[d];
            if (!context.Space.IsActive(definition, assigned)) continue;
            var u = useSequence ? _halton!.Coordinate(context.TrialNumber, d) : context.Random.NextDouble();
            assigned[definition.Name] = UniformSampling.FromUnit(definition.Distribution, u);
        }
        return assigned;
    }
}
