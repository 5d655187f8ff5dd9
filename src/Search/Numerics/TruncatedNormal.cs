namespace SweepCluster.Search.Numerics;

/// <summary>A normal N(mu, sigma²) restricted to [low, high].</summary>
public static class TruncatedNormal
{
    /// <summary>log of the mass N(mu, sigma²) puts on [low, high]: the kernel's normaliser.</summary>
    public static double LogMass(double mu, double sigma, double low, double high)
    {
        var a = (low - mu) / sigma;
        var b = (high - mu) / sigma;
        // Nearly every kernel sits well inside the box; skip the special functions for those.
        if (a < -9 && b > 9) return 0;
        return StandardNormal.LogDiffCdf(a, b);
    }

    /// <summary>Draws from the truncated normal by inverting its CDF in log space (exact in the far tails).</summary>
    public static double Sample(double mu, double sigma, double low, double high, SeededRandom random)
    {
        var a = (low - mu) / sigma;
        var b = (high - mu) / sigma;
        var mirrored = a > 0;
        if (mirrored) (a, b) = (-b, -a);
        var logU = Math.Log(random.NextOpenDouble());
        var logPa = StandardNormal.LogCdf(a);
        var logMass = StandardNormal.LogDiffCdf(a, b);
        var logP = LogAddExp(logPa, logU + logMass);
        var z = Math.Clamp(StandardNormal.InverseLogCdf(Math.Min(logP, -1e-300)), a, b);
        if (mirrored) z = -z;
        return Math.Clamp(mu + sigma * z, low, high);
    }

    public static double LogAddExp(double x, double y)
    {
        if (double.IsNegativeInfinity(x)) return y;
        if (double.IsNegativeInfinity(y)) return x;
        var max = Math.Max(x, y);
        return max + Math.Log(Math.Exp(x - max) + Math.Exp(y - max));
    }
}
