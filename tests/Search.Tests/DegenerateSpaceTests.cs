using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>
/// Issue 10, kind 1: degenerate and extreme search spaces. Every distribution either samples correctly
/// with every sampler, before and after the start-up trials, or is refused when the space is loaded.
/// Expected values come from the distributions' definitions (Optuna: a single-point distribution's only
/// value; an int over 0..2^32−1 is any integer in it), not from our sampler's output.
/// </summary>
public class DegenerateSpaceTests
{
    public static readonly TheoryData<SamplerKind> Samplers = new() { SamplerKind.Tpe, SamplerKind.TpeMultivariate, SamplerKind.Random, SamplerKind.Gp };

    private static HyperparameterSearch Search(string json, SamplerKind kind, long seed = 7) =>
        HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(json), Sampler: new SamplerSettings { Kind = kind }, Seed: seed));

    /// <summary>Asks and tells <paramref name="count"/> trials (values that vary, so TPE has something to model).</summary>
    private static List<AskedTrial> Run(HyperparameterSearch search, int count, Func<AskedTrial, double>? objective = null)
    {
        var asked = new List<AskedTrial>();
        for (var i = 0; i < count; i++)
        {
            var trial = search.Ask();
            asked.Add(trial);
            search.Tell(trial.Number, new TrialOutcome.Completed(objective?.Invoke(trial) ?? Math.Sin(i * 1.7) + i * 0.01));
        }
        return asked;
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Float_with_low_equal_to_high_is_that_value_on_every_ask_the_11th_included(SamplerKind kind)
    {
        // The issue's input: with TPE the 11th ask (the first after 10 start-up trials) answered NaN.
        var asked = Run(Search("""{"a": {"type": "float", "low": 1.0, "high": 1.0}}""", kind), 15);
        Assert.All(asked, t => Assert.Equal(1.0, (double)t.Params["a"]));
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Log_float_with_low_equal_to_high_is_that_value_on_every_ask(SamplerKind kind)
    {
        var asked = Run(Search("""{"a": {"type": "float", "low": 0.001, "high": 0.001, "log": true}}""", kind), 15);
        Assert.All(asked, t => Assert.Equal(0.001, (double)t.Params["a"]));
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Every_single_point_distribution_gives_its_value_next_to_ordinary_parameters(SamplerKind kind)
    {
        const string space = """
            {"x": {"type": "float", "low": -5, "high": 5},
             "f": {"type": "float", "low": 1.0, "high": 1.0},
             "lf": {"type": "float", "low": 0.001, "high": 0.001, "log": true},
             "sf": {"type": "float", "low": 0.5, "high": 0.5, "step": 0.1},
             "i": {"type": "int", "low": 5, "high": 5},
             "si": {"type": "int", "low": 8, "high": 8, "step": 4},
             "li": {"type": "int", "low": 7, "high": 7, "log": true},
             "c": {"type": "categorical", "choices": ["only"]},
             "n": {"type": "int", "low": 0, "high": 3},
             "when_c": {"type": "float", "low": 2.5, "high": 2.5, "when": {"c": ["only"]}},
             "when_i": {"type": "float", "low": 0, "high": 1, "when": {"i": [5]}}}
            """;
        var asked = Run(Search(space, kind), 25, t => Math.Pow((double)t.Params["x"] - 1, 2) + (long)t.Params["n"]);
        Assert.All(asked, t =>
        {
            Assert.Equal(1.0, t.Params["f"]);
            Assert.Equal(0.001, t.Params["lf"]);
            Assert.Equal(0.5, t.Params["sf"]);
            Assert.Equal(5L, t.Params["i"]);
            Assert.Equal(8L, t.Params["si"]);
            Assert.Equal(7L, t.Params["li"]);
            Assert.Equal("only", t.Params["c"]);
            Assert.Equal(2.5, t.Params["when_c"]);
            Assert.InRange((double)t.Params["when_i"], 0, 1);
            Assert.InRange((double)t.Params["x"], -5, 5);
        });
        // TPE still models the ordinary parameter after the start-up trials: not every ask the same.
        Assert.True(asked.Skip(10).Select(t => (double)t.Params["x"]).Distinct().Count() > 1);
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Int_over_0_to_2_pow_31_minus_1_is_sampled(SamplerKind kind)
    {
        // The issue's input: every ask answered an internal overflow error.
        var asked = Run(Search("""{"seed": {"type": "int", "low": 0, "high": 2147483647}}""", kind), 20);
        Assert.All(asked, t => Assert.InRange((long)t.Params["seed"], 0L, 2147483647L));
        Assert.True(asked.Select(t => t.Params["seed"]).Distinct().Count() > 10);
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Int_over_0_to_2_pow_32_minus_1_is_sampled_and_reaches_above_2_pow_31(SamplerKind kind)
    {
        var asked = Run(Search("""{"seed": {"type": "int", "low": 0, "high": 4294967295}}""", kind), 40);
        Assert.All(asked, t => Assert.InRange((long)t.Params["seed"], 0L, 4294967295L));
        // Uniform start-up points over 2^32 values: 10 of them all below 2^31 has probability 2^-10.
        Assert.Contains(asked, t => (long)t.Params["seed"] > int.MaxValue);
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Ints_at_the_2_pow_53_limit_are_exact_integers_on_their_grid(SamplerKind kind)
    {
        // 2^53 − 20 .. 2^53 step 4: every value is 2^53 − 20 + 4k exactly, which a double still holds.
        const long low = 9007199254740972, high = 9007199254740992;
        var space = "{\"n\": {\"type\": \"int\", \"low\": " + low + ", \"high\": " + high + ", \"step\": 4},"
            + """ "m": {"type": "int", "low": -9007199254740992, "high": 9007199254740992}}""";
        var asked = Run(Search(space, kind), 25);
        Assert.All(asked, t =>
        {
            var n = (long)t.Params["n"];
            Assert.InRange(n, low, high);
            Assert.Equal(0, (n - low) % 4);
            Assert.InRange((long)t.Params["m"], -9007199254740992L, 9007199254740992L);
        });
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Log_int_over_a_wide_range_is_sampled(SamplerKind kind)
    {
        var asked = Run(Search("""{"n": {"type": "int", "low": 1, "high": 9007199254740992, "log": true}}""", kind), 25);
        Assert.All(asked, t => Assert.InRange((long)t.Params["n"], 1L, 9007199254740992L));
    }

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Stepped_float_with_more_than_2_pow_31_grid_points_is_sampled_on_its_grid(SamplerKind kind)
    {
        // Step 2^-32 on [0, 1]: 2^32 + 1 grid points, each k · 2^-32 exactly (a power-of-two step is exact).
        var asked = Run(Search("""{"x": {"type": "float", "low": 0, "high": 1, "step": 2.3283064365386963e-10}}""", kind), 25);
        Assert.All(asked, t =>
        {
            var x = (double)t.Params["x"];
            Assert.InRange(x, 0, 1);
            var k = x * 4294967296.0;
            Assert.Equal(Math.Round(k), k);
        });
    }

    [Fact]
    public void Contains_accepts_grid_points_of_a_grid_of_ten_billion_and_refuses_points_between()
    {
        // 0.1 + 9822956004 · 1e-10 is a grid point; its index computed back is 9822956004 ± 1.9e-6, which a
        // tolerance of 1e-8 on the index refused.
        var d = new FloatDistribution(0.1, 1.1, Step: 1e-10);
        Assert.True(d.Contains(0.1 + 9822956004 * 1e-10));
        Assert.True(d.Contains(d.Snap(0.73)));
        Assert.False(d.Contains(0.1 + 9822956004.5 * 1e-10));
        Assert.True(new IntDistribution(0, 4294967295).Contains(4294967295));
        Assert.False(new IntDistribution(0, 4294967295).Contains(4294967296));
    }

    [Theory]
    [InlineData("""{"n": {"type": "int", "low": 0, "high": 9007199254740993}}""", "n", "within ±2^53")]
    [InlineData("""{"n": {"type": "int", "low": -9223372036854775808, "high": 9223372036854775807}}""", "n", "within ±2^53")]
    [InlineData("""{"n": {"type": "int", "low": 0, "high": 18446744073709551615}}""", "n", "\"high\" = 18446744073709551615 is too large")]
    [InlineData("""{"x": {"type": "float", "low": 0, "high": 1, "step": 1.1102230246251565e-16}}""", "x", "more than 2^53")]
    [InlineData("""{"x": {"type": "float", "low": 0, "high": 1e400}}""", "x", "\"high\" must be a finite number")]
    [InlineData("""{"x": {"type": "float", "low": -1e400, "high": 1}}""", "x", "\"low\" must be a finite number")]
    [InlineData("""{"x": {"type": "float", "low": 0, "high": 1, "step": 1e400}}""", "x", "\"step\" must be a finite number")]
    [InlineData("""{"x": {"type": "float", "low": -1e308, "high": 1e308}}""", "x", "high − low overflows")]
    [InlineData("""{"x": {"type": "float", "low": 0, "high": 1e-310}}""", "x", "too narrow")]
    [InlineData("""{"c": {"type": "categorical", "choices": [1, 1e400]}}""", "c", "not a finite double")]
    public void Spaces_that_cannot_be_sampled_exactly_are_refused_naming_the_parameter_and_key(string json, string parameter, string problem)
    {
        var error = Assert.Throws<SearchSpaceException>(() => SearchSpace.FromJson(json));
        Assert.Equal(parameter, error.Parameter);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Non_finite_numbers_built_in_code_are_refused_too()
    {
        SearchSpaceException Refused(ParamDistribution d) =>
            Assert.Throws<SearchSpaceException>(() => new SearchSpace([new ParamDefinition("p", d, [])]));
        Assert.Contains("finite", Refused(new FloatDistribution(double.NaN, 1)).Message);
        Assert.Contains("finite", Refused(new FloatDistribution(0, double.PositiveInfinity)).Message);
        Assert.Contains("\"step\" must be a finite number", Refused(new FloatDistribution(0, 0, Step: double.PositiveInfinity)).Message);
        Assert.Contains("\"step\" must be a finite number", Refused(new FloatDistribution(0, 1, Step: double.NaN)).Message);
        Assert.Contains("finite", Refused(new CategoricalDistribution([1.0, double.NaN])).Message);
    }

    [Fact]
    public void Tpe_without_the_magic_clip_samples_a_range_narrower_than_its_sigma_floor()
    {
        // Math.Clamp(σ, 1e-12, range) threw for a range under 1e-12 once the magic clip was off.
        var settings = new SearchSettings(SearchSpace.FromJson("""{"x": {"type": "float", "low": 0, "high": 1e-13}}"""),
            Sampler: new SamplerSettings { Kind = SamplerKind.Tpe, Tpe = new() { ConsiderMagicClip = false } }, Seed: 3);
        var asked = Run(HyperparameterSearch.Create(settings), 15);
        Assert.All(asked, t => Assert.InRange((double)t.Params["x"], 0, 1e-13));
    }

    [Fact]
    public void A_restored_search_over_a_2_pow_32_int_continues_with_the_same_asks()
    {
        var search = Search("""{"seed": {"type": "int", "low": 0, "high": 4294967295}}""", SamplerKind.Tpe);
        Run(search, 12);
        var restored = HyperparameterSearch.FromJson(search.ToJson());
        Assert.Equal(search.Ask().Params["seed"], restored.Ask().Params["seed"]);
    }

    [Fact]
    public void Rehearse_passes_the_issues_spaces_through_every_sampler()
    {
        HyperparameterSearch.Rehearse(SearchSpace.FromJson("""
            {"seed": {"type": "int", "low": 0, "high": 4294967295}, "a": {"type": "float", "low": 1.0, "high": 1.0},
             "b": {"type": "float", "low": 0.001, "high": 0.001, "log": true}, "c": {"type": "categorical", "choices": [1]}}
            """));
    }
}
