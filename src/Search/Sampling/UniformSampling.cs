using SweepCluster.Search.Numerics;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Sampling;

/// <summary>Draws one internal value uniformly (log-uniformly on log scales) from a distribution.</summary>
public static class UniformSampling
{
    public static double Draw(ParamDistribution distribution, SeededRandom random) => distribution switch
    {
        FloatDistribution { Log: true } f => Math.Clamp(Math.Exp(Uniform(Math.Log(f.Low), Math.Log(f.High), random)), f.Low, f.High),
        FloatDistribution { Step: double step } f => f.Snap(f.Low + random.NextInt(GridSize(f.High - f.Low, step)) * step),
        FloatDistribution f => Uniform(f.Low, f.High, random),
        IntDistribution { Log: true } i => i.Snap(Math.Exp(Uniform(Math.Log(i.Low - 0.5), Math.Log(i.High + 0.5), random))),
        IntDistribution i => i.Low + random.NextInt(checked((int)((i.High - i.Low) / i.Step + 1))) * (double)i.Step,
        CategoricalDistribution c => random.NextInt(c.Choices.Count),
        _ => throw new NotSupportedException(distribution.GetType().Name),
    };

    private static double Uniform(double low, double high, SeededRandom random) => low + (high - low) * random.NextDouble();

    private static int GridSize(double range, double step) => checked((int)Math.Round(range / step) + 1);
}

/// <summary>Independent uniform sampling of every active parameter.</summary>
public sealed class RandomSampler : ISampler
{
    public Dictionary<string, double> Sample(SamplingContext context)
    {
        var assigned = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var definition in context.Space.Parameters)
        {
            if (context.Space.IsActive(definition, assigned))
            {
                assigned[definition.Name] = UniformSampling.Draw(definition.Distribution, context.Random);
            }
        }
        return assigned;
    }
}
