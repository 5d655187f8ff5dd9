namespace SweepCluster.Bench.Hpo;

/// <summary>The classic continuous test functions of SUITE.md §1, on plain coordinate arrays.</summary>
public static class ClassicFunctions
{
    public static double Branin(ReadOnlySpan<double> x)
    {
        const double a = 1.0, r = 6.0, s = 10.0;
        const double b = 5.1 / (4.0 * Math.PI * Math.PI);
        const double c = 5.0 / Math.PI;
        const double t = 1.0 / (8.0 * Math.PI);
        var inner = x[1] - b * x[0] * x[0] + c * x[0] - r;
        return a * inner * inner + s * (1.0 - t) * Math.Cos(x[0]) + s;
    }

    private static readonly double[] HartmannAlpha = [1.0, 1.2, 3.0, 3.2];

    private static readonly double[,] HartmannA =
    {
        { 10, 3, 17, 3.5, 1.7, 8 },
        { 0.05, 10, 17, 0.1, 8, 14 },
        { 3, 3.5, 1.7, 10, 17, 8 },
        { 17, 8, 0.05, 10, 0.1, 14 },
    };

    // P is given in units of 1e-4; scaled once here so the inner loop matches the spec's formula.
    private static readonly double[,] HartmannP = Scale(1e-4, new double[,]
    {
        { 1312, 1696, 5569, 124, 8283, 5886 },
        { 2329, 4135, 8307, 3736, 1004, 9991 },
        { 2348, 1451, 3522, 2883, 3047, 6650 },
        { 4047, 8828, 8732, 5743, 1091, 381 },
    });

    /// <summary>
    /// Hartmann-3 (constants from Surjanovic &amp; Bingham's Virtual Library of Simulation Experiments): minimum −3.86278
    /// at (0.114614, 0.555649, 0.852547). Only in the noisy hold-out set, not the suite.
    /// </summary>
    public static double Hartmann3(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        for (var i = 0; i < 4; i++)
        {
            var exponent = 0.0;
            for (var j = 0; j < 3; j++) exponent += Hartmann3A[i, j] * (x[j] - Hartmann3P[i, j]) * (x[j] - Hartmann3P[i, j]);
            sum += HartmannAlpha[i] * Math.Exp(-exponent);
        }
        return -sum;
    }

    // Hartmann-3 shares HartmannAlpha with Hartmann-6.
    private static readonly double[,] Hartmann3A = { { 3, 10, 30 }, { 0.1, 10, 35 }, { 3, 10, 30 }, { 0.1, 10, 35 } };

    private static readonly double[,] Hartmann3P =
        { { 0.3689, 0.1170, 0.2673 }, { 0.4699, 0.4387, 0.7470 }, { 0.1091, 0.8732, 0.5547 }, { 0.0381, 0.5743, 0.8828 } };

    /// <summary>Six-hump camel on [−3, 3] × [−2, 2]: minimum −1.0316284534898774 (two points). Hold-out only.</summary>
    public static double SixHumpCamel(ReadOnlySpan<double> x) =>
        (4 - 2.1 * x[0] * x[0] + Math.Pow(x[0], 4) / 3) * x[0] * x[0] + x[0] * x[1] + (-4 + 4 * x[1] * x[1]) * x[1] * x[1];

    /// <summary>Michalewicz (m = 10) on [0, π]^d: −Σ sin(xᵢ)·sin(i·xᵢ²/π)^20; for d = 5 the minimum is about −4.687658. Hold-out only.</summary>
    public static double Michalewicz(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++) sum += Math.Sin(x[i]) * Math.Pow(Math.Sin((i + 1) * x[i] * x[i] / Math.PI), 20);
        return -sum;
    }

    /// <summary>Zakharov on [−5, 10]^d: Σxᵢ² + (Σ ½i·xᵢ)² + (Σ ½i·xᵢ)⁴, minimum 0 at 0. Hold-out only.</summary>
    public static double Zakharov(ReadOnlySpan<double> x)
    {
        double squares = 0, weighted = 0;
        for (var i = 0; i < x.Length; i++) { squares += x[i] * x[i]; weighted += 0.5 * (i + 1) * x[i]; }
        return squares + weighted * weighted + Math.Pow(weighted, 4);
    }

    /// <summary>Powell (d a multiple of 4) on [−4, 5]^d: minimum 0 at 0. Hold-out only.</summary>
    public static double Powell(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        for (var i = 0; i + 3 < x.Length; i += 4)
        {
            sum += Math.Pow(x[i] + 10 * x[i + 1], 2) + 5 * Math.Pow(x[i + 2] - x[i + 3], 2)
                + Math.Pow(x[i + 1] - 2 * x[i + 2], 4) + 10 * Math.Pow(x[i] - x[i + 3], 4);
        }
        return sum;
    }

    public static double Hartmann6(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        for (var i = 0; i < 4; i++)
        {
            var exponent = 0.0;
            for (var j = 0; j < 6; j++)
            {
                var d = x[j] - HartmannP[i, j];
                exponent += HartmannA[i, j] * d * d;
            }
            sum += HartmannAlpha[i] * Math.Exp(-exponent);
        }
        return -sum;
    }

    public static double Rosenbrock(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        for (var i = 0; i + 1 < x.Length; i++)
        {
            var valley = x[i + 1] - x[i] * x[i];
            var offset = x[i] - 1.0;
            sum += 100.0 * valley * valley + offset * offset;
        }
        return sum;
    }

    public static double Ackley(ReadOnlySpan<double> x)
    {
        double squares = 0, cosines = 0;
        foreach (var xi in x)
        {
            squares += xi * xi;
            cosines += Math.Cos(2.0 * Math.PI * xi);
        }
        var n = x.Length;
        return -20.0 * Math.Exp(-0.2 * Math.Sqrt(squares / n)) - Math.Exp(cosines / n) + 20.0 + Math.E;
    }

    public static double Levy(ReadOnlySpan<double> x)
    {
        var n = x.Length;
        static double W(double xi) => 1.0 + (xi - 1.0) / 4.0;
        static double Sin2(double v) { var s = Math.Sin(v); return s * s; }

        var sum = Sin2(Math.PI * W(x[0]));
        for (var i = 0; i < n - 1; i++)
        {
            var w = W(x[i]);
            sum += (w - 1.0) * (w - 1.0) * (1.0 + 10.0 * Sin2(Math.PI * w + 1.0));
        }
        var last = W(x[n - 1]);
        return sum + (last - 1.0) * (last - 1.0) * (1.0 + Sin2(2.0 * Math.PI * last));
    }

    // ---- SUITE-EXTRA.md (bench/Hpo/SUITE-EXTRA.md) ----

    public static double Rastrigin(ReadOnlySpan<double> x)
    {
        var sum = 10.0 * x.Length;
        foreach (var v in x) sum += v * v - 10.0 * Math.Cos(2.0 * Math.PI * v);
        return sum;
    }

    /// <summary>418.9828872724338 · d − Σ xᵢ sin(√|xᵢ|); minimum ≈ 0 at xᵢ = 420.9687462275036.</summary>
    public static double Schwefel(ReadOnlySpan<double> x)
    {
        var sum = 418.9828872724338 * x.Length;
        foreach (var v in x) sum -= v * Math.Sin(Math.Sqrt(Math.Abs(v)));
        return sum;
    }

    public static double Griewank(ReadOnlySpan<double> x)
    {
        double squares = 0, product = 1;
        for (var i = 0; i < x.Length; i++)
        {
            squares += x[i] * x[i];
            product *= Math.Cos(x[i] / Math.Sqrt(i + 1));
        }
        return 1.0 + squares / 4000.0 - product;
    }

    /// <summary>De Jong's step function Σ floor(xᵢ + 0.5)²: flat plateaus, zero on [−0.5, 0.5)^d.</summary>
    public static double Step(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        foreach (var v in x)
        {
            var k = Math.Floor(v + 0.5);
            sum += k * k;
        }
        return sum;
    }

    /// <summary>(x₁ − 1)² + Σᵢ₌₂ i(2xᵢ² − xᵢ₋₁)²: a narrow curved valley; 0 at xᵢ = 2^(−(2^i − 2)/2^i).</summary>
    public static double DixonPrice(ReadOnlySpan<double> x)
    {
        var sum = (x[0] - 1.0) * (x[0] - 1.0);
        for (var i = 1; i < x.Length; i++)
        {
            var t = 2.0 * x[i] * x[i] - x[i - 1];
            sum += (i + 1) * t * t;
        }
        return sum;
    }

    /// <summary>½ Σ (xᵢ⁴ − 16xᵢ² + 5xᵢ); minimum −39.16616570377142·d at xᵢ = −2.903534027771178.</summary>
    public static double StyblinskiTang(ReadOnlySpan<double> x)
    {
        var sum = 0.0;
        foreach (var v in x) sum += v * v * v * v - 16.0 * v * v + 5.0 * v;
        return 0.5 * sum;
    }

    private static double[,] Scale(double factor, double[,] m)
    {
        for (var i = 0; i < m.GetLength(0); i++)
            for (var j = 0; j < m.GetLength(1); j++)
                m[i, j] *= factor;
        return m;
    }
}
