using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search.Tests;

public class ConstantLiarTests
{
    private static double MeanPairwiseDistanceOfParallelAsks(bool constantLiar, int seed)
    {
        var space = SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1},"y":{"type":"float","low":0,"high":1}}""");
        var search = HyperparameterSearch.Create(new SearchSettings(space,
            Sampler: new SamplerSettings { Kind = SamplerKind.Tpe, Tpe = new TpeOptions { ConstantLiar = constantLiar, NEiCandidates = 24 } }, Seed: seed));
        for (var i = 0; i < 30; i++)
        {
            var t = search.Ask();
            double x = (double)t.Params["x"], y = (double)t.Params["y"];
            search.Tell(t.Number, new TrialOutcome.Completed((x - 0.3) * (x - 0.3) + (y - 0.6) * (y - 0.6)));
        }
        // Eight workers ask before any of them reports.
        var parallel = Enumerable.Range(0, 8).Select(_ => search.Ask().Params).Select(p => ((double)p["x"], (double)p["y"])).ToList();
        var distances = new List<double>();
        for (var a = 0; a < parallel.Count; a++)
            for (var b = 0; b < a; b++)
                distances.Add(Math.Sqrt(Math.Pow(parallel[a].Item1 - parallel[b].Item1, 2) + Math.Pow(parallel[a].Item2 - parallel[b].Item2, 2)));
        return distances.Average();
    }

    // 24 candidates exploit hard enough that, without the liar, eight asks from one history crowd together.
    [Fact]
    public void Constant_liar_spreads_parallel_asks()
    {
        var withLiar = Enumerable.Range(0, 5).Average(s => MeanPairwiseDistanceOfParallelAsks(true, s));
        var withoutLiar = Enumerable.Range(0, 5).Average(s => MeanPairwiseDistanceOfParallelAsks(false, s));
        Assert.True(withLiar > 1.5 * withoutLiar,
            $"parallel asks should spread out under the constant liar: mean distance {withLiar:F4} with, {withoutLiar:F4} without");
    }
}
