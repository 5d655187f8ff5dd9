namespace SweepCluster.Search.Numerics;

/// <summary>
/// The standard normal's CDF, log-CDF and inverse, accurate far into the tails (truncated kernels in TPE
/// are often evaluated tens of standard deviations away). Pure managed code; no lookup tables.
/// </summary>
public static class StandardNormal
{
    private const double Sqrt2 = 1.4142135623730951;
    public const double LogSqrt2Pi = 0.91893853320467274;

    /// <summary>log φ(x).</summary>
    public static double LogPdf(double x) => -0.5 * x * x - LogSqrt2Pi;

    /// <summary>Φ(x).</summary>
    public static double Cdf(double x) => 0.5 * Erfc(-x / Sqrt2);

    /// <summary>log Φ(x), finite for every finite x.</summary>
    public static double LogCdf(double x)
    {
        if (x > 5) return -0.5 * Erfc(x / Sqrt2); // log(1 - q) ≈ -q for the tiny upper tail
        if (x > -1) return Math.Log(Cdf(x));
        var y = -x / Sqrt2;
        return Math.Log(0.5 * Erfcx(y)) - y * y;
    }

    /// <summary>log(Φ(b) − Φ(a)) for a &lt; b, computed on the side of zero where it does not cancel.</summary>
    public static double LogDiffCdf(double a, double b)
    {
        if (a >= b) return double.NegativeInfinity;
        if (a > 0)
        {
            // Mirror into the lower tail: Φ(b) − Φ(a) = Φ(−a) − Φ(−b).
            (a, b) = (-b, -a);
        }
        if (b <= 0)
        {
            var lb = LogCdf(b);
            var la = LogCdf(a);
            return lb + Log1mExp(la - lb);
        }
        // a <= 0 < b. A tail beyond 9 standard deviations (< 1e-19) is below double precision of the mass.
        if (b > 9) return LogCdf(-a);
        if (a < -9) return LogCdf(b);
        var upperTail = Cdf(-b); // mass above b
        var lowerTail = Cdf(a);  // mass below a
        return Log1P(-(upperTail + lowerTail));
    }

    /// <summary>Inverse of LogCdf: x with log Φ(x) = logP, for logP &lt; 0.</summary>
    public static double InverseLogCdf(double logP)
    {
        if (logP >= 0) return double.PositiveInfinity;
        // Work in whichever tail keeps precision: for p > 0.5 solve Φ(−x) = 1 − p instead.
        if (logP > -0.6931471805599453)
        {
            var logQ = Log1mExp(logP);
            return -InverseLogCdfLower(logQ);
        }
        return InverseLogCdfLower(logP);
    }

    /// <summary>Solves log Φ(x) = logP for logP ≤ log 0.5 (so x ≤ 0) by safeguarded Newton steps.</summary>
    private static double InverseLogCdfLower(double logP)
    {
        // Asymptotic start: log Φ(x) ≈ −x²/2 − log(−x √(2π)).
        var t = Math.Sqrt(-2.0 * logP);
        var x = logP > -2 ? InitialCentral(Math.Exp(logP)) : -(t - (Math.Log(t * t) + 1.8378770664093453) / (2 * t));
        double lo = -40, hi = 0; // −40 is beyond any double-representable log Φ we are asked for here
        if (logP < LogCdf(lo)) lo = -Math.Sqrt(-2.0 * logP) - 2;
        for (var iteration = 0; iteration < 60; iteration++)
        {
            var f = LogCdf(x) - logP;
            if (Math.Abs(f) < 1e-14 * Math.Max(1, Math.Abs(logP))) break;
            if (f > 0) hi = x; else lo = x;
            var slope = Math.Exp(LogPdf(x) - LogCdf(x)); // d/dx log Φ(x)
            var next = x - f / slope;
            x = next > lo && next < hi && double.IsFinite(next) ? next : 0.5 * (lo + hi);
            if (hi - lo < 1e-15 * Math.Max(1, Math.Abs(x))) break;
        }
        return x;
    }

    private static double InitialCentral(double p)
    {
        // A rough logit-like start good near the centre; Newton refines it.
        var q = p - 0.5;
        return q * 2.5066282746310002 * (1 + q * q * 2);
    }

    /// <summary>log(1 − eˣ) for x ≤ 0 without cancellation.</summary>
    public static double Log1mExp(double x) =>
        x > -0.6931471805599453 ? Math.Log(-ExpM1(x)) : Log1P(-Math.Exp(x));

    /// <summary>log(1 + x), accurate for tiny x (Goldberg's trick; .NET's LogP1 is a plain Log(1 + x)).</summary>
    public static double Log1P(double x)
    {
        var u = 1.0 + x;
        return u == 1.0 ? x : Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>eˣ − 1, accurate for tiny x (Kahan's trick).</summary>
    public static double ExpM1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1.0) return x;
        var um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }

    /// <summary>erfc(x).</summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2.0 - Erfc(-x);
        if (x < 2.5) return 1.0 - ErfSeries(x);
        return Math.Exp(-x * x) * ErfcxContinuedFraction(x);
    }

    /// <summary>The scaled complementary error function e^{x²} erfc(x), for x ≥ 0.</summary>
    public static double Erfcx(double x)
    {
        if (x < 2.5) return Math.Exp(x * x) * (1.0 - ErfSeries(x));
        return ErfcxContinuedFraction(x);
    }

    /// <summary>erf(x) = 2x/√π e^{−x²} Σ (2x²)ⁿ / (1·3·…·(2n+1)): all terms positive, so no cancellation.</summary>
    private static double ErfSeries(double x)
    {
        var x2 = x * x;
        double term = 1, sum = 1;
        for (var n = 1; n < 200; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return 1.1283791670955126 * x * Math.Exp(-x2) * sum;
    }

    /// <summary>e^{x²} erfc(x) by the Laplace continued fraction, evaluated with the modified Lentz method (x ≥ 2.5).</summary>
    private static double ErfcxContinuedFraction(double x)
    {
        // erfc(x) e^{x²} √π = 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))))
        const double tiny = 1e-300;
        var f = x;
        var c = x;
        double d = 0;
        for (var n = 1; n < 500; n++)
        {
            var a = n * 0.5;
            d = x + a * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            var delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return 1.0 / (f * 1.7724538509055160);
    }
}
