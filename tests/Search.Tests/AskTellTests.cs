using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search.Tests;

public class AskTellTests
{
    internal const string MixedSpace = """
        {"x0":{"type":"float","low":-5,"high":10},"lr":{"type":"float","low":1e-6,"high":1e-3,"log":true},
         "epochs":{"type":"int","low":2,"high":30},"bs":{"type":"categorical","choices":[8,16,32,64]},
         "optimizer":{"type":"categorical","choices":["adamw","sgd"]},
         "beta2":{"type":"float","low":0.9,"high":0.9999,"when":{"optimizer":["adamw"]}},
         "d":{"type":"float","low":0,"high":0.5,"step":0.05}}
        """;

    internal static double Objective(IReadOnlyDictionary<string, object> p)
    {
        var x0 = (double)p["x0"];
        var lr = (double)p["lr"];
        var value = Math.Pow(x0 - 2, 2) + Math.Pow(Math.Log10(lr) + 4, 2) + Math.Abs((long)p["epochs"] - 12) * 0.1
            + ((long)p["bs"] == 16 ? 0 : 0.5) + (double)p["d"];
        if ((string)p["optimizer"] == "adamw") value += Math.Abs((double)p["beta2"] - 0.98) * 10;
        else value += 1;
        return value;
    }

    internal static HyperparameterSearch NewSearch(SamplerKind kind, long seed, PrunerSettings? pruner = null) =>
        HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(MixedSpace),
            Sampler: new SamplerSettings { Kind = kind }, Pruner: pruner, Seed: seed));

    private static List<string> RunSequence(SamplerKind kind, long seed, int trials)
    {
        var search = NewSearch(kind, seed);
        var asked = new List<string>();
        for (var i = 0; i < trials; i++)
        {
            var trial = search.Ask();
            asked.Add(string.Join(";", trial.Params.Select(kv => $"{kv.Key}={kv.Value}")));
            search.Tell(trial.Number, new TrialOutcome.Completed(Objective(trial.Params)));
        }
        return asked;
    }

    [Theory]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    [InlineData(SamplerKind.Random)]
    [InlineData(SamplerKind.Gp)]
    public void Same_seed_gives_the_same_sequence_and_another_seed_does_not(SamplerKind kind)
    {
        var first = RunSequence(kind, 42, 30);
        Assert.Equal(first, RunSequence(kind, 42, 30));
        Assert.NotEqual(first, RunSequence(kind, 43, 30));
    }

    [Theory]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    [InlineData(SamplerKind.Gp)]
    public void Serialised_history_gives_identical_next_asks(SamplerKind kind)
    {
        var search = NewSearch(kind, 7, new PrunerSettings { Kind = PrunerKind.Median });
        for (var i = 0; i < 25; i++)
        {
            var trial = search.Ask();
            var value = Objective(trial.Params);
            var pruned = false;
            for (var step = 1; step <= 3 && !pruned; step++) pruned = search.Report(trial.Number, step, value + 1.0 / step);
            search.Tell(trial.Number, i % 7 == 3 ? new TrialOutcome.Failed("boom") : pruned ? new TrialOutcome.Pruned() : new TrialOutcome.Completed(value));
        }
        search.Ask(); // left running: the restored search must treat it as running too
        var restored = HyperparameterSearch.FromJson(search.ToJson());
        Assert.Equal(search.ToJson(), restored.ToJson());
        for (var i = 0; i < 5; i++)
        {
            var a = search.Ask();
            var b = restored.Ask();
            Assert.Equal(a.Number, b.Number);
            Assert.Equal(a.Params, b.Params);
        }
    }

    [Fact]
    public void Conditional_parameter_is_present_exactly_when_its_parent_allows_it()
    {
        foreach (var kind in new[] { SamplerKind.Random, SamplerKind.Tpe, SamplerKind.TpeMultivariate, SamplerKind.Gp })
        {
            var search = NewSearch(kind, 1);
            for (var i = 0; i < 40; i++)
            {
                var trial = search.Ask();
                Assert.Equal((string)trial.Params["optimizer"] == "adamw", trial.Params.ContainsKey("beta2"));
                search.Tell(trial.Number, new TrialOutcome.Completed(Objective(trial.Params)));
            }
        }
    }

    [Theory]
    [InlineData(SamplerKind.Tpe)]
    [InlineData(SamplerKind.TpeMultivariate)]
    [InlineData(SamplerKind.Gp)]
    public void Tpe_samples_stay_in_bounds_and_on_grids(SamplerKind kind)
    {
        var search = NewSearch(kind, 3);
        for (var i = 0; i < 80; i++)
        {
            var trial = search.Ask();
            var p = trial.Params;
            Assert.InRange((double)p["x0"], -5, 10);
            Assert.InRange((double)p["lr"], 1e-6, 1e-3);
            Assert.InRange((long)p["epochs"], 2, 30);
            Assert.Contains((long)p["bs"], new long[] { 8, 16, 32, 64 });
            var d = (double)p["d"];
            Assert.InRange(d, 0, 0.5);
            Assert.Equal(0, Math.Abs(d / 0.05 - Math.Round(d / 0.05)), 9);
            search.Tell(trial.Number, new TrialOutcome.Completed(Objective(trial.Params)));
        }
    }

    [Fact]
    public void Tpe_finds_better_values_than_random_on_the_same_budget()
    {
        double MeanBest(SamplerKind kind) => Enumerable.Range(0, 6).Average(seed =>
        {
            var search = NewSearch(kind, seed);
            for (var i = 0; i < 60; i++)
            {
                var t = search.Ask();
                search.Tell(t.Number, new TrialOutcome.Completed(Objective(t.Params)));
            }
            return search.BestTrial!.Value!.Value;
        });
        var tpe = MeanBest(SamplerKind.Tpe);
        var random = MeanBest(SamplerKind.Random);
        Assert.True(tpe < 0.6 * random, $"TPE mean best {tpe:F3} should clearly beat random's {random:F3}");
    }

    [Fact]
    public void Maximize_direction_turns_the_search_around()
    {
        var search = HyperparameterSearch.Create(new SearchSettings(
            SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1}}"""), StudyDirection.Maximize, Seed: 2));
        for (var i = 0; i < 50; i++)
        {
            var t = search.Ask();
            search.Tell(t.Number, new TrialOutcome.Completed((double)t.Params["x"]));
        }
        Assert.True(search.BestTrial!.Value > 0.97);
        var late = search.Trials.Skip(30).Average(t => t.Params["x"]);
        Assert.True(late > 0.75, $"late asks should crowd the high end, mean {late:F2}");
    }

    [Fact]
    public void Telling_twice_is_idempotent_but_a_different_outcome_is_refused()
    {
        var search = NewSearch(SamplerKind.Random, 0);
        var t = search.Ask();
        search.Tell(t.Number, new TrialOutcome.Completed(1.5));
        search.Tell(t.Number, new TrialOutcome.Completed(1.5));
        var error = Assert.Throws<InvalidOperationException>(() => search.Tell(t.Number, new TrialOutcome.Pruned()));
        Assert.Equal("trial 0 is already complete with value 1.5; cannot tell pruned", error.Message);
        // A second value for a complete trial says both (it used to read "already complete; cannot tell complete").
        error = Assert.Throws<InvalidOperationException>(() => search.Tell(t.Number, new TrialOutcome.Completed(2.25)));
        Assert.Equal("trial 0 is already complete with value 1.5; cannot tell complete with value 2.25", error.Message);
        Assert.Throws<InvalidOperationException>(() => search.Report(t.Number, 1, 0.3));
        Assert.Throws<UnknownTrialException>(() => search.Tell(99, new TrialOutcome.Completed(1)));
    }

    [Fact]
    public void Nan_objective_is_recorded_as_a_failure()
    {
        var search = NewSearch(SamplerKind.Random, 0);
        var t = search.Ask();
        search.Tell(t.Number, new TrialOutcome.Completed(double.NaN));
        Assert.Equal(TrialState.Failed, search.Trials[0].State);
        Assert.Contains("NaN", search.Trials[0].Error);
    }
}

public class SearchSnapshotTests
{
    [Theory]
    [InlineData("""{"format":1}""", "sampler")]
    [InlineData("""{"format":2}""", "format 2 is not supported")]
    [InlineData("""not json""", "not readable")]
    public void Damaged_snapshot_is_refused_with_a_format_error_naming_the_problem(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => HyperparameterSearch.FromJson(json));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Snapshot_stores_enums_by_name()
    {
        var search = AskTellTests.NewSearch(SamplerKind.Tpe, 1, new PrunerSettings { Kind = PrunerKind.Median });
        Assert.Contains("\"kind\":\"median\"", search.ToJson());
        Assert.Equal(PrunerKind.Median, HyperparameterSearch.FromJson(search.ToJson()).Settings.Pruner.Kind);
    }
}
