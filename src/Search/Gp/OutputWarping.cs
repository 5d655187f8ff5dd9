namespace SweepCluster.Search.Gp;

/// <summary>
/// The Yeo–Johnson power transform of standardised losses, with λ chosen by maximum likelihood (Yeo and
/// Johnson, "A new family of power transformations to improve normality or symmetry", Biometrika 2000; the
/// output warping HEBO applies before its GP, Cowen-Rivers et al., JAIR 2022). Losses of test functions and of
/// real trials are skewed (a few diverged or far-off trials, many near the best); a stationary GP fitted to
/// them spends its noise term on the far values and cannot tell the near-best ones apart. The transform is
/// monotone, so the incumbent and every ranking are unchanged.
/// </summary>
public static class OutputWarping
{
    /// <summary>
    /// Warps <paramref name="values"/> in place: the values are standardised, transformed with the λ in [−2, 2]
    /// that maximises the Yeo–Johnson profile log-likelihood (golden-section search, as scipy's
    /// <c>yeojohnson_normmax</c> brackets it), then standardised again. Fewer than 3 values, or values that are
    /// all equal, are left standardised only.
    /// </summary>
    /// <returns>The λ used (1 means no warping).</returns>
    public static double Apply(Span<double> values)
    {
        var n = values.Length;
        if (n == 0) return 1;
        Standardise(values);
        if (n < 3 || AllEqual(values)) return 1;
        var copy = values.ToArray();
        double low = -2, high = 2;
        const double invPhi = 0.6180339887498949;
        for (var iteration = 0; iteration < 50; iteration++)
        {
            var m1 = high - invPhi * (high - low);
            var m2 = low + invPhi * (high - low);
            if (LogLikelihood(copy, m1) >= LogLikelihood(copy, m2)) high = m2; else low = m1;
        }
        var lambda = 0.5 * (low + high);
        for (var i = 0; i < n; i++) values[i] = Transform(copy[i], lambda);
        Standardise(values);
        return lambda;
    }

    /// <summary>ψ(λ, y): Yeo and Johnson (2000), equation 2.1.</summary>
    public static double Transform(double y, double lambda)
    {
        if (y >= 0)
            return Math.Abs(lambda) < 1e-12 ? double.LogP1(y) : (Math.Pow(y + 1, lambda) - 1) / lambda;
        return Math.Abs(lambda - 2) < 1e-12 ? -double.LogP1(-y) : -(Math.Pow(1 - y, 2 - lambda) - 1) / (2 - lambda);
    }

    /// <summary>Profile log-likelihood of λ under normality: −n/2·log σ̂²(λ) + (λ − 1)·Σ sign(y)·log(1 + |y|).</summary>
    private static double LogLikelihood(double[] y, double lambda)
    {
        var n = y.Length;
        double mean = 0, jacobian = 0;
        var t = new double[n];
        for (var i = 0; i < n; i++)
        {
            t[i] = Transform(y[i], lambda);
            mean += t[i];
            jacobian += Math.Sign(y[i]) * double.LogP1(Math.Abs(y[i]));
        }
        mean /= n;
        double variance = 0;
        for (var i = 0; i < n; i++) variance += (t[i] - mean) * (t[i] - mean);
        variance /= n;
        if (!(variance > 0) || !double.IsFinite(variance)) return double.NegativeInfinity;
        return -0.5 * n * Math.Log(variance) + (lambda - 1) * jacobian;
    }

    /// <summary>Subtracts the mean and divides by the (population) standard deviation, in place; equal values become 0.</summary>
    internal static void Standardise(Span<double> values)
    {
        // Equal values have no spread: they standardise to 0. Computed, their mean need not round back to the value
        // (seven 0.1s average to 0.1 + 1.4e-17), and that residue divided by its own size made them all ±1, a level
        // the zero-mean GP took for information. Values that differ are standardised exactly as before.
        if (AllEqual(values))
        {
            values.Clear();
            return;
        }
        double mean = 0;
        foreach (var v in values) mean += v;
        mean /= values.Length;
        double variance = 0;
        foreach (var v in values) variance += (v - mean) * (v - mean);
        variance /= values.Length;
        var scale = variance > 0 ? Math.Sqrt(variance) : 1;
        for (var i = 0; i < values.Length; i++) values[i] = (values[i] - mean) / scale;
    }

    private static bool AllEqual(Span<double> values)
    {
        foreach (var v in values) if (v != values[0]) return false;
        return true;
    }
}
