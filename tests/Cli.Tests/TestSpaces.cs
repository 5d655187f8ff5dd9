using System.Text.Json;
using SweepCluster.Cli.Protocol;
using SweepCluster.Search;
using SweepCluster.Search.Space;

namespace SweepCluster.Cli.Tests;

internal static class TestSpaces
{
    /// <summary>Every parameter kind, including categoricals of each JSON type and a conditional parameter.</summary>
    public const string Mixed = """
        {"x0":{"type":"float","low":-5,"high":10},
         "lr":{"type":"float","low":1e-6,"high":1e-3,"log":true},
         "epochs":{"type":"int","low":2,"high":30},
         "bs":{"type":"categorical","choices":[8,16,32,64]},
         "optimizer":{"type":"categorical","choices":["adamw","sgd"]},
         "beta2":{"type":"float","low":0.9,"high":0.9999,"when":{"optimizer":["adamw"]}},
         "mixed":{"type":"categorical","choices":["a",true,0.5,3]},
         "d":{"type":"float","low":0,"high":0.5,"step":0.25}}
        """;

    public static HyperparameterSearch NewSearch(
        SamplerKind sampler = SamplerKind.Random, PrunerSettings? pruner = null, long seed = 1, string space = Mixed) =>
        HyperparameterSearch.Create(new SearchSettings(
            SearchSpace.FromJson(space), Sampler: new SamplerSettings { Kind = sampler }, Pruner: pruner, Seed: seed));

    /// <summary>Sends one request line and parses the single answer line.</summary>
    public static JsonElement Send(this AskTellServer server, string line)
    {
        var answer = server.Handle(line);
        Assert.NotNull(answer);
        Assert.DoesNotContain('\n', answer);
        return JsonDocument.Parse(answer).RootElement.Clone();
    }

    /// <summary>A made-up objective: any deterministic function of the asked parameters will do.</summary>
    public static double Objective(JsonElement parameters) =>
        Math.Pow(parameters.GetProperty("x0").GetDouble() - 2, 2)
        + (parameters.GetProperty("bs").GetInt64() == 16 ? 0 : 0.5)
        + parameters.GetProperty("epochs").GetInt64() * 0.01;
}
