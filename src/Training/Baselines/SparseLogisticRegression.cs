namespace SweepCluster.Training.Baselines;

/// <summary>
/// Binary L2-regularised logistic regression on sparse rows, minimising
/// <c>(1/n) Σ logloss(σ(w·xᵢ + b), yᵢ) + (l2/2)·‖w‖²</c> (the bias is not penalised) — the objective of
/// scikit-learn's <c>LogisticRegression(C = 1/(l2·n))</c> — by full-batch accelerated gradient descent
/// (Nesterov 1983, with the FISTA momentum schedule of Beck &amp; Teboulle 2009) for a fixed number of
/// iterations and step 1/L, L = ¼·(maxᵢ‖xᵢ‖² + 1) + l2 bounding the gradient's Lipschitz constant.
/// Deterministic: no randomness, and the same sums in the same order every time.
/// </summary>
public static class SparseLogisticRegression
{
    /// <summary>Fits the weights (one per feature) and the bias.</summary>
    /// <param name="rows">Sparse rows: (feature index below <paramref name="features"/>, value).</param>
    /// <param name="y">Targets, 0 or 1, one per row.</param>
    /// <exception cref="ArgumentException">rows and targets differ in count, or there are no rows.</exception>
    public static (double[] Weights, double Bias) Fit(IReadOnlyList<(int Index, double Value)[]> rows, IReadOnlyList<double> y, int features, double l2, int iterations)
    {
        if (rows.Count != y.Count) throw new ArgumentException($"{rows.Count} rows but {y.Count} targets");
        if (rows.Count == 0) throw new ArgumentException("no rows to fit");
        var maxNorm = rows.Max(r => r.Sum(x => x.Value * x.Value));
        var step = 1.0 / (0.25 * (maxNorm + 1) + l2);
        var n = rows.Count;
        var w = new double[features];
        var previous = new double[features];
        var look = new double[features];
        var gradient = new double[features];
        double b = 0, previousB = 0;
        double t = 1;
        for (var it = 0; it < iterations; it++)
        {
            var next = (1 + Math.Sqrt(1 + 4 * t * t)) / 2;
            var momentum = (t - 1) / next;
            t = next;
            for (var j = 0; j < features; j++) look[j] = w[j] + momentum * (w[j] - previous[j]);
            var lookB = b + momentum * (b - previousB);
            Array.Clear(gradient);
            double gradientB = 0;
            for (var i = 0; i < n; i++)
            {
                var error = Sigmoid(Dot(look, rows[i]) + lookB) - y[i];
                foreach (var (index, value) in rows[i]) gradient[index] += error * value;
                gradientB += error;
            }
            (previous, w) = (w, previous);
            previousB = b;
            for (var j = 0; j < features; j++) w[j] = look[j] - step * (gradient[j] / n + l2 * look[j]);
            b = lookB - step * gradientB / n;
        }
        return (w, b);
    }

    public static double Dot(double[] w, (int Index, double Value)[] row)
    {
        double s = 0;
        foreach (var (index, value) in row) s += w[index] * value;
        return s;
    }

    public static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
