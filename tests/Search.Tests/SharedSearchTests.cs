using SweepCluster.Search.Gp;
using SweepCluster.Search.Numerics;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>share_across_backbones: samplers that also learn from other tasks' (backbones') trials.</summary>
public class SharedSearchTests
{
    [Fact]
    public void Multi_task_posterior_matches_a_hand_computed_case()
    {
        const double l = 0.7, s = 2, noise = 0.01, rho = 0.6, y1 = 1.5, y2 = -0.5;
        var hyper = new GpHyperparameters([l], s, noise, rho);

        // One observation in task 1 at x = 0; task 0 at the same x sees it through ρ only:
        // μ₀ = sρ·y/(s + σ²), var₀ = s − (sρ)²/(s + σ²); task 1 itself: μ₁ = s·y/(s + σ²).
        var single = new GaussianProcess([[0.0]], [y1], hyper, tasks: [1]);
        var (mean0, var0) = single.Predict([0.0], new double[1], task: 0);
        Assert.Equal(s * rho * y1 / (s + noise), mean0, 12);
        Assert.Equal(s - s * rho * s * rho / (s + noise), var0, 12);
        Assert.Equal(s * y1 / (s + noise), single.Predict([0.0], new double[1], task: 1).Mean, 12);

        // Task 0 at x = 0 (y1), task 1 at x = 1 (y2); predict task 0 at x = 0.5:
        // K = [[a, b], [b, a]] with b = sρ·m(1/ℓ); k* = (c, ρc), c = s·m(0.5/ℓ).
        var gp = new GaussianProcess([[0.0], [1.0]], [y1, y2], hyper, tasks: [0, 1]);
        var a = s + noise;
        var b = s * rho * GpTestMath.Matern(1 / l);
        var c = s * GpTestMath.Matern(0.5 / l);
        var det = a * a - b * b;
        var (k1, k2) = (c, rho * c);
        // K⁻¹ = [[a, −b], [−b, a]] / det.
        var w1 = (a * k1 - b * k2) / det;
        var w2 = (a * k2 - b * k1) / det;
        var (mean, variance) = gp.Predict([0.5], new double[2], task: 0);
        Assert.Equal(w1 * y1 + w2 * y2, mean, 12);
        Assert.Equal(s - (k1 * w1 + k2 * w2), variance, 12);
        // Without correlation (ρ → 0) task 1's point says nothing about task 0.
        var uncorrelated = new GaussianProcess([[0.0], [1.0]], [y1, y2], hyper with { TaskCorrelation = 0 }, tasks: [0, 1]);
        Assert.Equal(c * y1 / a, uncorrelated.Predict([0.5], new double[2], task: 0).Mean, 12);
    }

    [Fact]
    public void Multi_task_gradient_matches_finite_differences()
    {
        var random = new SeededRandom(5);
        var x = Enumerable.Range(0, 10).Select(_ => new[] { random.NextDouble(), random.NextDouble() }).ToArray();
        var tasks = Enumerable.Range(0, 10).Select(i => i % 3).ToArray();
        var y = x.Select((p, i) => Math.Sin(4 * p[0]) + p[1] * p[1] + 0.2 * tasks[i]).ToArray();
        var f = GpFitter.NegativeLogPosterior(x, y, 2, tasks);
        var theta = new[] { Math.Log(0.3), Math.Log(0.7), Math.Log(1.2), Math.Log(0.05), 0.4 };
        GpTestMath.AssertGradientMatchesFiniteDifferences(f, theta);
        var fitted = GpFitter.Fit(x, y, 2, 60, tasks);
        Assert.InRange(fitted.TaskCorrelation, 0.01, 0.99);
    }

    private const string Box = """{"x":{"type":"float","low":0,"high":1},"y":{"type":"float","low":0,"high":1}}""";

    private static HyperparameterSearch NewSearch(SamplerKind kind, long seed, string space = Box) =>
        HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(space), Sampler: new SamplerSettings { Kind = kind }, Seed: seed));

    /// <summary>A finished other task: 30 trials of 10 + (x − 0.8)² + (y − 0.2)² (an offset the sampler must not care about).</summary>
    private static IReadOnlyList<TrialRecord> OtherTask(SamplerKind kind)
    {
        var other = NewSearch(kind == SamplerKind.Gp ? SamplerKind.Random : kind, 99);
        for (var i = 0; i < 30; i++)
        {
            var t = other.Ask();
            var (x, y) = ((double)t.Params["x"], (double)t.Params["y"]);
            other.Tell(t.Number, new TrialOutcome.Completed(10 + (x - 0.8) * (x - 0.8) + (y - 0.2) * (y - 0.2)));
        }
        return other.Trials;
    }

    [Theory]
    [InlineData(SamplerKind.Gp)]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    public void A_new_backbone_starts_near_the_other_backbones_optimum_only_with_sharing(SamplerKind kind)
    {
        var other = OtherTask(kind);
        double Distance(IReadOnlyDictionary<string, object> p) => Math.Sqrt(Math.Pow((double)p["x"] - 0.8, 2) + Math.Pow((double)p["y"] - 0.2, 2));
        double shared = 0, independent = 0;
        const int seeds = 6;
        for (var seed = 0; seed < seeds; seed++)
        {
            // Its first asks, before it has any trial of its own.
            shared += Distance(NewSearch(kind, seed).Ask([other]).Params) / seeds;
            independent += Distance(NewSearch(kind, seed).Ask().Params) / seeds;
        }
        Assert.True(shared < 0.15, $"shared first asks average {shared:F3} from the other backbone's optimum");
        Assert.True(shared < 0.5 * independent, $"shared {shared:F3} vs independent {independent:F3}");
    }

    private static string Key(AskedTrial t) => string.Join(",", t.Params.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value:R}"));

    [Theory]
    [InlineData(SamplerKind.Gp)]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    [InlineData(SamplerKind.Random)]
    public void Sharing_off_or_nothing_usable_to_share_asks_exactly_what_the_independent_search_asks(SamplerKind kind)
    {
        // Other tasks whose trials cannot be used: running only, failed, or outside this space.
        var outside = NewSearch(SamplerKind.Random, 1, """{"x":{"type":"float","low":2,"high":3},"y":{"type":"float","low":0,"high":1}}""");
        for (var i = 0; i < 12; i++) { var t = outside.Ask(); outside.Tell(t.Number, new TrialOutcome.Completed(i)); }
        var lacking = NewSearch(SamplerKind.Random, 2, """{"x":{"type":"float","low":0,"high":1}}""");
        for (var i = 0; i < 12; i++) { var t = lacking.Ask(); lacking.Tell(t.Number, new TrialOutcome.Completed(i)); }
        var running = NewSearch(SamplerKind.Random, 3);
        for (var i = 0; i < 12; i++) running.Ask();
        var failed = NewSearch(SamplerKind.Random, 4);
        for (var i = 0; i < 12; i++) { var t = failed.Ask(); failed.Tell(t.Number, new TrialOutcome.Failed("x")); }
        IReadOnlyList<IReadOnlyList<TrialRecord>> unusable = [outside.Trials, lacking.Trials, running.Trials, failed.Trials, []];

        var plain = NewSearch(kind, 7);
        var withNull = NewSearch(kind, 7);
        var withUnusable = NewSearch(kind, 7);
        for (var i = 0; i < 16; i++)
        {
            var a = plain.Ask();
            var b = withNull.Ask(null);
            var c = withUnusable.Ask(unusable);
            Assert.Equal(Key(a), Key(b));
            Assert.Equal(Key(a), Key(c));
            var value = Math.Pow((double)a.Params["x"] - 0.3, 2) + (double)a.Params["y"];
            foreach (var s in new[] { plain, withNull, withUnusable }) s.Tell(i, new TrialOutcome.Completed(value));
        }
        Assert.Equal(plain.ToJson(), withUnusable.ToJson());
    }

    private const string Conditional = """
        {"lr":{"type":"float","low":1e-5,"high":1e-1,"log":true},
         "layers":{"type":"int","low":1,"high":6},
         "opt":{"type":"categorical","choices":["adam","sgd"]},
         "momentum":{"type":"float","low":0.5,"high":0.99,"when":{"opt":["sgd"]}}}
        """;

    private static double Objective(IReadOnlyDictionary<string, object> p, int task)
    {
        var lr = Math.Log10((double)p["lr"]) + 3 + 0.3 * task;
        var value = 5 * task + lr * lr + Math.Abs((long)p["layers"] - 3) * 0.3;
        if ((string)p["opt"] == "sgd") value += 0.2 + Math.Abs((double)p["momentum"] - 0.9);
        return value;
    }

    /// <summary>Two backbones interleaved with sharing; backbone 1's asks (and its search, for resuming) are returned.</summary>
    private static (List<string> Asks, HyperparameterSearch Zero, HyperparameterSearch One) Interleave(SamplerKind kind, int rounds,
        HyperparameterSearch? zero = null, HyperparameterSearch? one = null, int from = 0)
    {
        zero ??= NewSearch(kind, 10, Conditional);
        one ??= NewSearch(kind, 11, Conditional);
        var asks = new List<string>();
        for (var r = from; r < rounds; r++)
        {
            var a = zero.Ask([one.Trials]);
            var b = one.Ask([zero.Trials]);
            asks.Add(Key(b));
            zero.Tell(a.Number, new TrialOutcome.Completed(Objective(a.Params, 0)));
            if (r % 4 == 3) { one.Report(b.Number, 0, 9); one.Tell(b.Number, new TrialOutcome.Pruned()); }
            else one.Tell(b.Number, new TrialOutcome.Completed(Objective(b.Params, 1)));
        }
        return (asks, zero, one);
    }

    [Theory]
    [InlineData(SamplerKind.Gp)]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    public void Shared_searches_repeat_by_seed_and_resume_bit_identically(SamplerKind kind)
    {
        var (first, _, _) = Interleave(kind, 16);
        Assert.Equal(first, Interleave(kind, 16).Asks);

        var (head, zero, one) = Interleave(kind, 9);
        var resumedZero = HyperparameterSearch.FromJson(zero.ToJson());
        var resumedOne = HyperparameterSearch.FromJson(one.ToJson());
        var (tail, _, _) = Interleave(kind, 16, resumedZero, resumedOne, from: 9);
        Assert.Equal(first, head.Concat(tail).ToList());
    }

    [Theory]
    [InlineData(SamplerKind.Gp)]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    public void Shared_conditional_parameters_are_present_exactly_when_active(SamplerKind kind)
    {
        var (_, zero, one) = Interleave(kind, 20);
        var space = SearchSpace.FromJson(Conditional);
        foreach (var t in zero.Trials.Concat(one.Trials))
        {
            Assert.Equal(t.Params["opt"] == 1, t.Params.ContainsKey("momentum"));
            foreach (var (name, value) in t.Params) Assert.True(space[name].Distribution.Contains(value), $"{name} = {value}");
        }
    }

    [Fact]
    public void Translate_maps_choices_by_value_and_leaves_out_what_the_asking_space_cannot_hold()
    {
        var from = SearchSpace.FromJson("""
            {"x":{"type":"float","low":0,"high":10},"bs":{"type":"categorical","choices":[8,16,64]},
             "opt":{"type":"categorical","choices":["adam","sgd"]},"mom":{"type":"float","low":0,"high":1,"when":{"opt":["sgd"]}},
             "only_here":{"type":"int","low":0,"high":3}}
            """);
        var to = SearchSpace.FromJson("""
            {"x":{"type":"float","low":0,"high":5},"bs":{"type":"categorical","choices":[16,32]},
             "opt":{"type":"categorical","choices":["sgd","adam"]},"mom":{"type":"float","low":0,"high":1,"when":{"opt":["sgd"]}}}
            """);
        var source = HyperparameterSearch.Create(new SearchSettings(from, Seed: 1));
        // bs 16 (index 1 in from, 0 in to), opt sgd (1 in from, 0 in to), momentum active in both.
        source.Adopt(0, new Dictionary<string, double> { ["x"] = 2.5, ["bs"] = 1, ["opt"] = 1, ["mom"] = 0.9, ["only_here"] = 2 }, []);
        source.Tell(0, new TrialOutcome.Completed(0.25));
        // bs 64 has no counterpart; x = 7 lies outside to's range; opt adam is index 1 in to.
        source.Adopt(1, new Dictionary<string, double> { ["x"] = 7, ["bs"] = 2, ["opt"] = 0, ["only_here"] = 0 }, []);
        source.Report(1, 0, 3.0);
        source.Tell(1, new TrialOutcome.Pruned());

        var translated = source.TrialsIn(to);
        Assert.Equal(new Dictionary<string, double> { ["x"] = 2.5, ["bs"] = 0, ["opt"] = 0, ["mom"] = 0.9 }, translated[0].Params);
        Assert.Equal((TrialState.Complete, 0.25), (translated[0].State, translated[0].Value));
        Assert.Equal(new Dictionary<string, double> { ["opt"] = 1 }, translated[1].Params);
        Assert.Equal((TrialState.Pruned, 3.0), (translated[1].State, translated[1].Value));
        Assert.Equal(3.0, translated[1].IntermediateValues[0]);
        // The second lacks unconditional values of to, so only the first is usable for sharing.
        Assert.Equal([0], RelatedTasks.Usable(to, [translated]).Single().Select(t => t.Number));
        // The same space: the trials themselves.
        Assert.Same(source.Trials, source.TrialsIn(SearchSpace.FromJson(from.ToJson())));
    }

    [Theory]
    [InlineData(SamplerKind.Gp)]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    public void A_backbone_whose_choices_are_listed_differently_starts_at_the_other_backbones_best_choice(SamplerKind kind)
    {
        // The other backbone found batch size 16 best (0 against 10+); this one lists [32, 16], so 16 is its index 1
        // while it was index 0 over there. Read by index, every first ask went to 32.
        var other = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson("""
            {"x":{"type":"float","low":0,"high":1},"bs":{"type":"categorical","choices":[16,32,64]}}
            """), Sampler: new SamplerSettings { Kind = SamplerKind.Random }, Seed: 1));
        for (var i = 0; i < 30; i++)
        {
            var t = other.Ask();
            other.Tell(t.Number, new TrialOutcome.Completed((long)t.Params["bs"] == 16 ? 0 : 10 + (double)t.Params["x"]));
        }
        var space = SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1},"bs":{"type":"categorical","choices":[32,16]}}""");
        for (var seed = 0; seed < 10; seed++)
        {
            var search = HyperparameterSearch.Create(new SearchSettings(space, Sampler: new SamplerSettings { Kind = kind }, Seed: seed));
            Assert.Equal(16L, search.Ask([other.TrialsIn(space)]).Params["bs"]);
        }
    }
}
