using SweepCluster.Search.Gp;

namespace SweepCluster.Search.Tests;

/// <summary>The GP's Yeo–Johnson output warping against scipy and the transform's definition.</summary>
public class OutputWarpingTests
{
    [Fact]
    public void Lambda_and_warped_values_match_scipy_yeojohnson_on_standardised_losses()
    {
        // Reference: scipy 1.10.1 (Debian python3-scipy), z = (y − mean)/std (population), then
        // t, λ = scipy.stats.yeojohnson(z); expected = (t − t.mean())/t.std().
        double[] y = [0.4, 0.5, 0.9, 1.3, 2.0, 3.5, 8.0, 20.0, 55.0, 140.0];
        double[] expected = [-0.8487264399016988, -0.8356606519527715, -0.7839411346212185, -0.7330845542497221, -0.6461345175606558,
            -0.4683920312184155, -0.0011760388307030497, 0.8385103032703031, 1.5996071175014275, 1.878997947563454];
        var lambda = OutputWarping.Apply(y);
        Assert.Equal(-1.7082703384078346, lambda, 4);
        for (var i = 0; i < y.Length; i++) Assert.Equal(expected[i], y[i], 4);
    }

    [Theory]
    [InlineData(1.0, 0.0, 0.6931471805599453)]   // ln 2
    [InlineData(-1.0, 2.0, -0.6931471805599453)] // −ln 2
    [InlineData(3.0, 1.0, 3.0)]                  // λ = 1 is the identity
    [InlineData(-3.0, 1.0, -3.0)]
    [InlineData(3.0, 2.0, 7.5)]                  // ((3 + 1)² − 1)/2
    [InlineData(-3.0, 0.0, -7.5)]                // −((1 + 3)² − 1)/2
    public void Transform_follows_Yeo_and_Johnsons_definition(double value, double lambda, double expected) =>
        Assert.Equal(expected, OutputWarping.Transform(value, lambda), 12);

    [Fact]
    public void Warping_keeps_every_ranking_and_leaves_constant_losses_flat()
    {
        double[] y = [5, -2, 300, 0.1, 7, 7.5, -40];
        var order = Enumerable.Range(0, y.Length).OrderBy(i => y[i]).ToArray();
        OutputWarping.Apply(y);
        Assert.Equal(order, Enumerable.Range(0, y.Length).OrderBy(i => y[i]).ToArray());

        double[] flat = [2, 2, 2, 2];
        Assert.Equal(1, OutputWarping.Apply(flat));
        Assert.All(flat, v => Assert.Equal(0, v));
    }
}
