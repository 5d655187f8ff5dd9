using SweepCluster.Search.Sampling;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search.Tests;

public class TpeRankingTests
{
    [Fact]
    public void Pruned_trials_rank_after_complete_ones_and_by_how_far_they_got()
    {
        TrialRecord T(int n, TrialState s, double? value, params (int, double)[] reports)
        {
            var t = new TrialRecord { Number = n, Params = new Dictionary<string, double>(), State = s, Value = value };
            foreach (var (step, v) in reports) t.Reports[step] = v;
            return t;
        }
        var trials = new List<TrialRecord>
        {
            T(0, TrialState.Pruned, 0.1, (1, 0.1)),
            T(1, TrialState.Complete, 0.9),
            T(2, TrialState.Pruned, 0.5, (1, 0.2), (5, 0.5)),
            T(3, TrialState.Complete, 0.4),
            T(4, TrialState.Failed, null),
            T(5, TrialState.Pruned, 0.3, (1, 0.2), (5, 0.3)),
            T(6, TrialState.Running, null),
        };
        var ranked = TpeSampler.RankFinished(trials, StudyDirection.Minimize).Select(t => t.Number);
        Assert.Equal([3, 1, 5, 2, 0], ranked);
    }

    [Fact]
    public void Weights_are_flat_for_few_observations_and_ramp_older_ones_down()
    {
        var options = new TpeOptions();
        var few = ParzenEstimator.MixtureWeights(10, options);
        Assert.All(few, w => Assert.Equal(1.0 / 11, w, 12));
        var many = ParzenEstimator.MixtureWeights(100, options);
        Assert.Equal(1.0, many.Sum(), 12);
        Assert.True(many[0] < many[50] && many[50] < many[80]);
        Assert.Equal(many[80], many[99], 12); // the 25 newest share full weight
    }

    [Fact]
    public void Gamma_follows_optuna()
    {
        var options = new TpeOptions();
        Assert.Equal(1, options.Gamma(10));
        Assert.Equal(2, options.Gamma(11));
        Assert.Equal(10, options.Gamma(100));
        Assert.Equal(25, options.Gamma(1000));
    }
}
