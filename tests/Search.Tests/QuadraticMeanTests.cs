using SweepCluster.Search.Gp;
using SweepCluster.Search.Numerics;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

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
    public void Fitted_to_an_uneven_bowl_the_centre_and_the_steeper_axis_are_found()
    {
        // f(x) = 4(x₀ − 0.3)² + 0.25(x₁ − 0.7)²: minimum (0.3, 0.7) and curvatures 16 : 1 by construction. The prior
        // gives both axes the same curvature (16/d), so only the data can order them.
        var random = new SeededRandom(7);
        var x = Enumerable.Range(0, 15).Select(_ => new[] { random.NextDouble(), random.NextDouble() }).ToArray();
        var y = x.Select(p => 4 * (p[0] - 0.3) * (p[0] - 0.3) + 0.25 * (p[1] - 0.7) * (p[1] - 0.7)).ToArray();
        OutputWarping.Standardise(y);
        var fitted = GpFitter.Fit(x, y, 2, 60, quadraticMean: true).Mean!;
        Assert.InRange(fitted.Centre[0], 0.2, 0.4);
        Assert.True(fitted.Curvature[0] > 4 * fitted.Curvature[1], $"curvatures {fitted.Curvature[0]} and {fitted.Curvature[1]}");
    }

    [Fact]
    public void The_sampler_uses_the_option_on_its_own_trials_and_on_a_new_backbones_siblings()
    {
        const string box = """{"x":{"type":"float","low":0,"high":1},"y":{"type":"float","low":0,"high":1}}""";
        HyperparameterSearch Search(bool quadratic, long seed) => HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(box),
            Sampler: new SamplerSettings { Kind = SamplerKind.Gp, Gp = new GpOptions { QuadraticMean = quadratic } }, Seed: seed));
        double Loss(AskedTrial t) => Math.Pow((double)t.Params["x"] - 0.8, 2) + Math.Pow((double)t.Params["y"] - 0.2, 2) + 0.1 * Math.Sin(7 * (double)t.Params["x"]);
        string Next(HyperparameterSearch search)
        {
            // 6 start-up trials (identical with or without the mean), then the GP's first ask.
            for (var i = 0; i < 6; i++) { var t = search.Ask(); search.Tell(t.Number, new TrialOutcome.Completed(Loss(t))); }
            var ask = search.Ask();
            return $"{ask.Params["x"]:R},{ask.Params["y"]:R}";
        }
        Assert.NotEqual(Next(Search(true, 3)), Next(Search(false, 3)));

        // A backbone with no trial of its own fits its siblings' trials (GpSampler's FitWithoutOwnScale).
        var sibling = Search(false, 99);
        Next(sibling);
        var related = sibling.Trials;
        string First(bool quadratic) { var a = Search(quadratic, 5).Ask([related]); return $"{a.Params["x"]:R},{a.Params["y"]:R}"; }
        Assert.NotEqual(First(true), First(false));
    }

    [Fact]
    public void A_snapshot_from_before_the_mean_resumes_without_it()
    {
        // Snapshots written before 2026-12-02 have no quadratic_mean key; they must resume as the zero-mean GP that wrote them.
        var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1}}"""),
            Sampler: new SamplerSettings { Kind = SamplerKind.Gp }, Seed: 1));
        var json = System.Text.Json.Nodes.JsonNode.Parse(search.ToJson())!.AsObject();
        Assert.True(HyperparameterSearch.FromJson(json.ToJsonString()).Settings.Sampler.Gp.QuadraticMean);
        json["sampler"]!["gp"]!.AsObject().Remove("quadratic_mean");
        Assert.False(HyperparameterSearch.FromJson(json.ToJsonString()).Settings.Sampler.Gp.QuadraticMean);
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
