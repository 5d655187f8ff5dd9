using SweepCluster.Search.Numerics;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>Statistical checks with fixed seeds: every draw in bounds, and the right shape.</summary>
public class SamplingDistributionTests
{
    private const int Draws = 20_000;

    private static double[] DrawMany(ParamDistribution distribution, int seed = 1)
    {
        var random = new SeededRandom((ulong)seed);
        return Enumerable.Range(0, Draws).Select(_ => UniformSampling.Draw(distribution, random)).ToArray();
    }

    /// <summary>Pearson chi-square against equal expected counts; 99.9% critical values for the bin counts used.</summary>
    private static void AssertUniformCounts(int[] counts)
    {
        double expected = counts.Sum() / (double)counts.Length;
        var chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        var critical = counts.Length switch { 4 => 16.27, 10 => 27.88, 15 => 36.12, 29 => 56.89, _ => throw new ArgumentException("add a critical value") };
        Assert.True(chi2 < critical, $"chi-square {chi2:F2} over {counts.Length} bins exceeds {critical}: counts {string.Join(",", counts)}");
    }

    [Fact]
    public void Uniform_float_stays_in_bounds_and_is_flat()
    {
        var values = DrawMany(new FloatDistribution(-5, 10));
        Assert.All(values, v => Assert.InRange(v, -5, 10));
        var counts = new int[10];
        foreach (var v in values) counts[Math.Min(9, (int)((v + 5) / 1.5))]++;
        AssertUniformCounts(counts);
    }

    [Fact]
    public void Log_float_is_flat_in_log_space()
    {
        var values = DrawMany(new FloatDistribution(1e-6, 1e-3, Log: true));
        Assert.All(values, v => Assert.InRange(v, 1e-6, 1e-3));
        var counts = new int[15];
        foreach (var v in values) counts[Math.Min(14, (int)((Math.Log10(v) + 6) / 3 * 15))]++;
        AssertUniformCounts(counts);
    }

    [Fact]
    public void Int_draws_every_value_equally_often()
    {
        var values = DrawMany(new IntDistribution(2, 30));
        Assert.All(values, v => Assert.True(v >= 2 && v <= 30 && v == Math.Floor(v)));
        var counts = new int[29];
        foreach (var v in values) counts[(int)v - 2]++;
        AssertUniformCounts(counts);
    }

    [Fact]
    public void Stepped_int_and_float_stay_on_the_grid()
    {
        var ints = DrawMany(new IntDistribution(0, 36, Step: 4));
        Assert.All(ints, v => Assert.Equal(0, (long)v % 4));
        var counts = new int[10];
        foreach (var v in ints) counts[(int)v / 4]++;
        AssertUniformCounts(counts);

        var floats = DrawMany(new FloatDistribution(0, 0.5, Step: 0.1));
        Assert.All(floats, v => Assert.Equal(0, Math.Abs(v * 10 - Math.Round(v * 10)), 9));
        Assert.Equal(6, floats.Distinct().Count());
    }

    [Fact]
    public void Log_int_favours_small_values_like_a_log_uniform()
    {
        var values = DrawMany(new IntDistribution(1, 1000, Log: true));
        Assert.All(values, v => Assert.InRange(v, 1, 1000));
        // Log-uniform on [0.5, 1000.5]: P(value <= 31) = log(31.5/0.5) / log(1000.5/0.5) ≈ 0.545.
        var fraction = values.Count(v => v <= 31) / (double)Draws;
        Assert.InRange(fraction, 0.52, 0.57);
    }

    [Fact]
    public void Categorical_draws_each_choice_equally_often()
    {
        var values = DrawMany(new CategoricalDistribution([8L, 16L, 32L, 64L]));
        var counts = new int[4];
        foreach (var v in values) counts[(int)v]++;
        AssertUniformCounts(counts);
    }

    [Fact]
    public void Truncated_normal_matches_its_moments_and_bounds()
    {
        // N(0.2, 0.5²) on [0, 1]: mean and variance from the closed form.
        const double mu = 0.2, sigma = 0.5, low = 0, high = 1;
        var random = new SeededRandom(3);
        var xs = Enumerable.Range(0, Draws).Select(_ => TruncatedNormal.Sample(mu, sigma, low, high, random)).ToArray();
        Assert.All(xs, x => Assert.InRange(x, low, high));
        double a = (low - mu) / sigma, b = (high - mu) / sigma;
        var z = StandardNormal.Cdf(b) - StandardNormal.Cdf(a);
        double phiA = Math.Exp(StandardNormal.LogPdf(a)), phiB = Math.Exp(StandardNormal.LogPdf(b));
        var mean = mu + sigma * (phiA - phiB) / z;
        var variance = sigma * sigma * (1 + (a * phiA - b * phiB) / z - Math.Pow((phiA - phiB) / z, 2));
        Assert.Equal(mean, xs.Average(), 2);
        var sampleVariance = xs.Select(x => (x - xs.Average()) * (x - xs.Average())).Average();
        Assert.InRange(sampleVariance / variance, 0.95, 1.05);
    }

    [Fact]
    public void Truncated_normal_samples_far_in_the_tail_stay_finite_and_in_bounds()
    {
        var random = new SeededRandom(5);
        for (var i = 0; i < 2000; i++)
        {
            var x = TruncatedNormal.Sample(0, 0.01, 0.9, 1.0, random); // 90 sigma away
            Assert.InRange(x, 0.9, 0.9 + 0.001); // the mass is packed against the near edge
        }
    }

    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(-1.0, 0.15865525393145707)]
    [InlineData(-5.0, 2.866515718791946e-7)]
    [InlineData(-10.0, 7.619853024160593e-24)]
    [InlineData(3.0, 0.9986501019683699)]
    public void Normal_cdf_matches_reference_values(double x, double expected)
    {
        Assert.Equal(1.0, StandardNormal.Cdf(x) / expected, 12);
        Assert.Equal(Math.Log(expected), StandardNormal.LogCdf(x), 10);
    }

    [Fact]
    public void Log_cdf_is_right_in_the_extreme_tail_and_inverts()
    {
        // log Φ(−40) = −804.608442013754 (asymptotic series, many terms)
        Assert.Equal(-804.608442013754, StandardNormal.LogCdf(-40), 9);
        foreach (var x in new[] { -38.0, -12.5, -3, -0.2, 0, 0.7, 4, 7.5 })
        {
            Assert.Equal(x, StandardNormal.InverseLogCdf(StandardNormal.LogCdf(x)), 7);
        }
    }
}
