using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search.Tests;

/// <summary>
/// Log-densities of the Parzen mixture against figures computed with Optuna 3.1.0's _ParzenEstimator
/// (Debian python3-optuna, default univariate parameters) on the same observations.
/// </summary>
public class ParzenEstimatorTests
{
    private static readonly double[] Observations =
    [
        1.0, 2.5, 3.0, -4.9, 9.0, 7.5, 0.1, 0.2, 5.5, 6.0, 2.0, 8.8, 9.9, -1.0, 3.3, 4.4, 1.1, 2.2, 3.1, 4.1,
        5.1, 6.1, 7.1, 8.1, 9.1, -2.0, -3.0, -4.0,
    ];

    private static double[] LogPdf(ParamDistribution distribution, double[] observations, params double[] at)
    {
        var estimator = new ParzenEstimator([distribution], [observations], new TpeOptions());
        return estimator.LogPdf(at.Select(x => new[] { x }).ToArray());
    }

    [Fact]
    public void Float_mixture_matches_optuna_with_three_observations()
    {
        var actual = LogPdf(new FloatDistribution(-5, 10), Observations[..3], -4.0, 0.0, 2.7, 9.9);
        Assert.Equal([-1.2768884033157268, -0.7210646441003581, -0.5999296237140144, -1.4111244333790867], actual, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Float_mixture_matches_optuna_with_ramped_weights()
    {
        var actual = LogPdf(new FloatDistribution(-5, 10), Observations, -4.0, 0.0, 2.7, 9.9);
        Assert.Equal([-2.537278144999855, -2.455963418108334, -2.2461505169175, -2.5499665084735286], actual, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Int_mixture_matches_optuna()
    {
        var actual = LogPdf(new IntDistribution(2, 30), [3.0, 7.0, 30.0], 2, 3, 12, 30);
        Assert.Equal([-2.9729503500997887, -2.9423221848562244, -3.2996722070964135, -3.771576861882653], actual, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Log_float_mixture_matches_optuna()
    {
        var actual = LogPdf(new FloatDistribution(1e-6, 1e-3, Log: true), [1e-5, 3e-4], 1e-6, 2e-5, 5e-4);
        Assert.Equal([-0.9820480698567153, -0.5544189449790986, -0.658633414141422], actual, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    private static double[] MultivariateLogPdf(TpeOptions options)
    {
        ParamDistribution[] space = [new FloatDistribution(-5, 10), new FloatDistribution(0, 1)];
        double[][] observations = [[1.0, 2.5, 3.0, -4.9, 9.0], [0.1, 0.2, 0.25, 0.9, 0.5]];
        var estimator = new ParzenEstimator(space, observations, options with { Multivariate = true });
        return estimator.LogPdf([[-4.0, 0.1], [0.0, 0.5], [2.7, 0.3], [9.9, 0.95]]);
    }

    [Fact]
    public void Multivariate_range_rule_at_0_2_matches_optuna()
    {
        // Optuna 3.1.0 _ParzenEstimator(multivariate=True): width 0.2 · range · n^(−1/(d+4)).
        var actual = MultivariateLogPdf(new TpeOptions { MultivariateBandwidthRule = BandwidthRule.Range, MultivariateBandwidth = 0.2 });
        Assert.Equal([-1.8581890700096655, -1.6862155281256601, -1.4304355583756854, -1.9293972440735874], actual, (a, b) => Math.Abs(a - b) < 1e-9);
    }

    [Fact]
    public void Multivariate_scott_rule_uses_the_observations_spread()
    {
        // Independent numpy/scipy evaluation: σⱼ = min(sample std ⱼ, rangeⱼ/√12) · n^(−1/(d+4)), clipped below at
        // rangeⱼ/min(100, n + 2); prior kernel N(mid, range); equal weights; Optuna's unscaled kernel scores.
        var actual = MultivariateLogPdf(new TpeOptions { MultivariateBandwidthRule = BandwidthRule.Scott, MultivariateBandwidth = 0.2 });
        Assert.Equal([-1.7589034913452006, -1.5470286585378377, -1.3233459753043, -1.8965477415243217], actual, (a, b) => Math.Abs(a - b) < 1e-9);
    }
}
