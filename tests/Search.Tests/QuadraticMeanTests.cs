using SweepCluster.Search.Gp;
using SweepCluster.Search.Numerics;

namespace SweepCluster.Search.Tests;

/// <summary>The GP's convex quadratic prior mean (<see cref="QuadraticMean"/>; Snoek et al. 2015, DNGO §3).</summary>
public class QuadraticMeanTests
{
    [Fact]
    public void Posterior_with_a_quadratic_mean_matches_a_hand_computed_one_point_case()
    {
        // One observation y0 at x0 = 0.2, m(x) = b + a(x − c)². The GP models y − m, so
        // μ(x) = m(x) + k(x, x0)·(y0 − m(x0)) / (s + σ²) and var(x) = s − k(x, x0)² / (s + σ²), as with a zero mean.
        const double l = 0.3, s = 1.5, noise = 0.02, y0 = 0.4, b = -0.5, a = 3, c = 0.6;
        var mean = new QuadraticMean(b, [a], [c]);
        var gp = new GaussianProcess([[0.2]], [y0], new GpHyperparameters([l], s, noise, Mean: mean));
        var m0 = b + a * (0.2 - c) * (0.2 - c);
        foreach (var x in new[] { 0.2, 0.5, 0.9 })
        {
            var k = s * GpTestMath.Matern(Math.Abs(x - 0.2) / l);
            var mx = b + a * (x - c) * (x - c);
            var (mu, variance) = gp.Predict([x], new double[1]);
            Assert.Equal(mx + k * (y0 - m0) / (s + noise), mu, 12);
            Assert.Equal(s - k * k / (s + noise), variance, 12);
        }
    }

    [Fact]
    public void Far_from_the_data_the_posterior_mean_is_the_bowl_not_zero()
    {
        // With ℓ = 0.02, the corner (1, 1) is ~35 lengthscales from every observation: k ≈ 1e-30, so μ = m(corner).
        var random = new SeededRandom(3);
        var x = Enumerable.Range(0, 8).Select(_ => new[] { 0.3 + 0.2 * random.NextDouble(), 0.3 + 0.2 * random.NextDouble() }).ToArray();
        var y = x.Select(p => p[0] - p[1]).ToArray();
        var mean = new QuadraticMean(-1, [2, 5], [0.4, 0.45]);
        var gp = new GaussianProcess(x, y, new GpHyperparameters([0.02, 0.02], 1, 1e-4, Mean: mean));
        var expected = -1 + 2 * 0.6 * 0.6 + 5 * 0.55 * 0.55;
        Assert.Equal(expected, gp.Predict([1.0, 1.0], new double[8]).Mean, 9);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_of_the_log_posterior_matches_finite_differences(bool multiTask)
    {
        var random = new SeededRandom(11);
        var x = Enumerable.Range(0, 9).Select(_ => new[] { random.NextDouble(), random.NextDouble(), random.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Sin(4 * p[0]) + p[1] * p[1] - 0.3 * p[2]).ToArray();
        int[]? tasks = multiTask ? [0, 1, 0, 1, 2, 0, 1, 2, 0] : null;
        var f = GpFitter.NegativeLogPosterior(x, y, 3, tasks, quadraticMean: true);
        // θ = (log ℓ ×3, log s, log σ² excess[, logit ρ], b, log a ×3, c ×3).
        var kernel = new[] { Math.Log(0.3), Math.Log(0.7), Math.Log(1.5), Math.Log(0.8), Math.Log(0.05) };
        var theta = kernel.Concat(multiTask ? [0.4] : []).Concat([-0.3, 0.2, -0.5, 1.1, 0.3, 0.6, 0.9]).ToArray();
        GpTestMath.AssertGradientMatchesFiniteDifferences(f, theta);
    }

    [Fact]
    public void Fitted_to_a_bowl_the_centre_is_found_and_the_curvatures_are_positive()
    {
        // f(x) = 4(x₀ − 0.3)² + 4(x₁ − 0.7)²: its minimum, (0.3, 0.7), is known by construction.
        var random = new SeededRandom(7);
        var x = Enumerable.Range(0, 15).Select(_ => new[] { random.NextDouble(), random.NextDouble() }).ToArray();
        var y = x.Select(p => 4 * (p[0] - 0.3) * (p[0] - 0.3) + 4 * (p[1] - 0.7) * (p[1] - 0.7)).ToArray();
        OutputWarping.Standardise(y);
        var fitted = GpFitter.Fit(x, y, 2, 120, quadraticMean: true).Mean!;
        Assert.InRange(fitted.Centre[0], 0.2, 0.4);
        Assert.InRange(fitted.Centre[1], 0.6, 0.8);
        Assert.All(fitted.Curvature, a => Assert.True(a > 0.5, $"curvature {a}"));
    }

    [Fact]
    public void Switched_off_the_fit_has_no_mean()
    {
        var random = new SeededRandom(5);
        var x = Enumerable.Range(0, 10).Select(_ => new[] { random.NextDouble(), random.NextDouble() }).ToArray();
        var y = x.Select(p => Math.Cos(3 * p[0]) + p[1]).ToArray();
        OutputWarping.Standardise(y);
        Assert.Null(GpFitter.Fit(x, y, 2, 60).Mean);
        Assert.Null(GpFitter.Fit(x, y, 2, 60, quadraticMean: false).Mean);
        Assert.NotNull(GpFitter.Fit(x, y, 2, 60, quadraticMean: true).Mean);
    }
}
