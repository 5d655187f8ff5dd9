using SweepCluster.Search.Numerics;

namespace SweepCluster.Search.Gp;

/// <summary>
/// log EI for minimisation: EI = σ·h(z), z = (best − μ)/σ, h(z) = zΦ(z) + φ(z). Computed in log space so that
/// tiny improvements far from the incumbent (z ≪ 0, where EI underflows to 0 and gives no gradient to rank
/// candidates by) still compare: log h(z) stays finite and decreasing for every finite z.
/// </summary>
public static class LogExpectedImprovement
{
    private const double SqrtHalfPi = 1.2533141373155003;
    private const double InvSqrt2 = 0.70710678118654752;

    /// <summary>log(σ·h((best − μ)/σ)).</summary>
    public static double Evaluate(double mean, double stdDev, double best) =>
        LogH((best - mean) / stdDev) + Math.Log(stdDev);

    /// <summary>log h(z) = log(zΦ(z) + φ(z)).</summary>
    public static double LogH(double z)
    {
        if (z > -1) return Math.Log(z * StandardNormal.Cdf(z) + Math.Exp(StandardNormal.LogPdf(z)));
        var t = -z;
        // h(z) = φ(z)·(1 − t·Φ(−t)/φ(t)), and Φ(−t)/φ(t) = √(π/2)·erfcx(t/√2) (Mills' ratio) has no underflow.
        if (t < 40) return StandardNormal.LogPdf(z) + Math.Log(1 - t * SqrtHalfPi * StandardNormal.Erfcx(t * InvSqrt2));
        // 1 − t·m(t) cancels for large t; its asymptotic series 1/t² − 3/t⁴ + 15/t⁶ − 105/t⁸ is exact to ~1e-10 here.
        var u = 1 / (t * t);
        return StandardNormal.LogPdf(z) + Math.Log(u) + Math.Log(1 - u * (3 - u * (15 - 105 * u)));
    }
}
