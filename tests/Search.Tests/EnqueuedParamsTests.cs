using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tests;

/// <summary>
/// Fixed parameters (Optuna's <c>enqueue_trial</c>): parsed from NAME=VALUE, checked against the space with
/// the parameter named, and asked with the sampler drawing the rest.
/// </summary>
public sealed class EnqueuedParamsTests
{
    private static readonly SearchSpace Space = SearchSpace.FromJson("""
        {
          "lr": {"type": "float", "low": 1e-5, "high": 0.1, "log": true},
          "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1},
          "layers": {"type": "int", "low": 1, "high": 8, "step": 1},
          "optimizer": {"type": "categorical", "choices": ["adamw", "sgd"]},
          "batch": {"type": "categorical", "choices": [16, 32]},
          "momentum": {"type": "float", "low": 0.0, "high": 0.99, "when": {"optimizer": ["sgd"]}}
        }
        """);

    [Fact]
    public void Values_become_internal_values_choices_by_index()
    {
        var parsed = FixedParams.Parse(Space, FixedParams.Split(" lr=0.001, layers=3 ,optimizer=sgd,momentum=0.9,batch=32.0,dropout=0.3"));
        Assert.Equal(0.001, parsed["lr"]);
        Assert.Equal(3, parsed["layers"]);
        Assert.Equal(1, parsed["optimizer"]); // "sgd" is choice 1
        Assert.Equal(1, parsed["batch"]); // 32.0 is the number 32, choice 1
        Assert.Equal(0.9, parsed["momentum"]);
        Assert.Equal(0.3, parsed["dropout"]);
    }

    [Theory]
    [InlineData("depth=2", "depth", "not in the search space")]
    [InlineData("lr=1", "lr", "outside [1E-05, 0.1]")]
    [InlineData("lr=abc", "lr", "not a number")]
    [InlineData("dropout=0.25", "dropout", "not on the grid of step 0.1")]
    [InlineData("layers=3.5", "layers", "not an integer")]
    [InlineData("layers=0", "layers", "outside [1, 8]")]
    [InlineData("optimizer=adam", "optimizer", "not one of the choices [adamw, sgd]")]
    [InlineData("batch=64", "batch", "not one of the choices [16, 32]")]
    [InlineData("momentum=0.5", "momentum", "give optimizer too")]
    [InlineData("optimizer=adamw,momentum=0.5", "momentum", "not adamw")]
    public void A_value_that_does_not_fit_names_its_parameter(string text, string parameter, string problem)
    {
        var e = Assert.Throws<SearchSpaceException>(() => FixedParams.Parse(Space, FixedParams.Split(text)));
        Assert.Equal(parameter, e.Parameter);
        Assert.Contains(problem, e.Problem);
    }

    [Theory]
    [InlineData("lr")]
    [InlineData("=1")]
    [InlineData("lr=1,lr=2")]
    [InlineData(" , ")]
    public void Text_that_is_not_name_value_pairs_is_refused(string text) =>
        Assert.Throws<ArgumentException>(() => FixedParams.Split(text));

    [Fact]
    public void An_ask_keeps_the_fixed_values_and_samples_the_rest_as_the_plain_ask_would()
    {
        var plain = HyperparameterSearch.Create(new SearchSettings(Space, Seed: 11));
        var enqueued = HyperparameterSearch.Create(new SearchSettings(Space, Seed: 11));
        var free = plain.Ask();
        var fixedParams = FixedParams.Parse(Space, FixedParams.Split("lr=0.001,layers=5"));
        var asked = enqueued.Ask(fixedParams: fixedParams);

        Assert.Equal(0.001, asked.Params["lr"]);
        Assert.Equal(5L, asked.Params["layers"]);
        // The same seed and history: the parameters not fixed are the very values the plain ask drew.
        Assert.Equal(free.Params["dropout"], asked.Params["dropout"]);
        Assert.Equal(free.Params["optimizer"], asked.Params["optimizer"]);
        Assert.Equal(free.Params.ContainsKey("momentum"), asked.Params.ContainsKey("momentum"));
        Assert.Equal(0.001, enqueued.Trials[0].Params["lr"]); // recorded for the sampler's history as asked
    }

    [Theory]
    [InlineData("optimizer=sgd", true)]
    [InlineData("optimizer=adamw", false)]
    public void A_fixed_parent_switches_its_conditional_child_on_or_off(string text, bool momentum)
    {
        for (var seed = 1; seed <= 20; seed++)
        {
            var search = HyperparameterSearch.Create(new SearchSettings(Space, Seed: seed));
            var asked = search.Ask(fixedParams: FixedParams.Parse(Space, FixedParams.Split(text)));
            Assert.Equal(momentum, asked.Params.ContainsKey("momentum"));
            if (momentum) Assert.InRange((double)asked.Params["momentum"], 0.0, 0.99);
        }
    }
}
