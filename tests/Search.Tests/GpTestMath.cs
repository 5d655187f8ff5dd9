using SweepCluster.Search.Gp;

namespace SweepCluster.Search.Tests;

/// <summary>Hand formulas and checks the GP tests share, written from the textbook rather than from src/Search/Gp.</summary>
internal static class GpTestMath
{
    /// <summary>The unit-variance Matérn-5/2 kernel at scaled distance r = ‖x − x'‖/ℓ (Rasmussen &amp; Williams 2006, eq. 4.17).</summary>
    public static double Matern(double r)
    {
        var a = Math.Sqrt(5) * r;
        return (1 + a + a * a / 3) * Math.Exp(-a);
    }

    /// <summary>Asserts each component of f's analytic gradient at θ against a central difference (step 1e-6, relative tolerance 1e-5).</summary>
    public static void AssertGradientMatchesFiniteDifferences(Lbfgs.Function f, double[] theta)
    {
        var gradient = new double[theta.Length];
        f(theta, gradient);
        for (var k = 0; k < theta.Length; k++)
        {
            const double h = 1e-6;
            var plus = (double[])theta.Clone();
            var minus = (double[])theta.Clone();
            plus[k] += h;
            minus[k] -= h;
            var numeric = (f(plus, new double[theta.Length]) - f(minus, new double[theta.Length])) / (2 * h);
            Assert.True(Math.Abs(numeric - gradient[k]) <= 1e-5 * Math.Max(1, Math.Abs(numeric)), $"θ[{k}]: analytic {gradient[k]}, numeric {numeric}");
        }
    }
}
