using SweepCluster.Search.Numerics;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tpe;

/// <summary>
/// A weighted mixture of kernels, one per observed trial plus a prior kernel (the whole box), over one
/// parameter (univariate TPE) or several at once (multivariate TPE, kernels shared across parameters).
/// </summary>
internal sealed class ParzenEstimator
{
    private readonly KernelDimension[] _dimensions;
    private readonly double[] _logWeights;
    private readonly double[] _weights;

    /// <param name="observations">Per parameter, the internal values of the observed trials, oldest first.</param>
    /// <param name="observationWeights">Relative weights of the observations (another task's count less); null: all 1.</param>
    public ParzenEstimator(IReadOnlyList<ParamDistribution> distributions, IReadOnlyList<double[]> observations, TpeOptions options,
        double[]? observationWeights = null)
    {
        var n = observations.Count == 0 ? 0 : observations[0].Length;
        _weights = MixtureWeights(n, options, observationWeights);
        _logWeights = _weights.Select(w => Math.Log(w)).ToArray();
        _dimensions = new KernelDimension[distributions.Count];
        for (var d = 0; d < distributions.Count; d++)
        {
            _dimensions[d] = distributions[d] is CategoricalDistribution categorical
                ? CategoricalDimension(categorical, observations[d], options)
                : NumericDimension(distributions[d], observations[d], distributions.Count, options);
        }
    }

    public int KernelCount => _weights.Length;

    /// <summary>Draws <paramref name="count"/> joint samples; row i holds one value per dimension.</summary>
    public double[][] Sample(int count, SeededRandom random)
    {
        var samples = new double[count][];
        for (var i = 0; i < count; i++)
        {
            var kernel = random.NextWeighted(_weights);
            var row = new double[_dimensions.Length];
            for (var d = 0; d < _dimensions.Length; d++) row[d] = _dimensions[d].Sample(kernel, random);
            samples[i] = row;
        }
        return samples;
    }

    /// <summary>log of the mixture's density (probability, for discrete parameters) at each sample.</summary>
    public double[] LogPdf(double[][] samples)
    {
        var result = new double[samples.Length];
        var perKernel = new double[_weights.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            _logWeights.CopyTo(perKernel, 0);
            for (var d = 0; d < _dimensions.Length; d++) _dimensions[d].AddLogPdf(samples[i][d], perKernel);
            result[i] = LogSumExp.Of(perKernel);
        }
        return result;
    }

    /// <summary>
    /// Optuna's weights: recent observations count fully, older ones ramp down linearly once there are more
    /// than 25; the prior kernel gets prior_weight. Normalised to sum to one.
    /// </summary>
    internal static double[] MixtureWeights(int n, TpeOptions options, double[]? observationWeights = null)
    {
        var weights = new double[n + 1];
        var flat = options.FullWeightCount;
        if (n > flat)
        {
            var rampLength = n - flat;
            for (var i = 0; i < rampLength; i++)
            {
                // linspace(1/n, 1, n − 25)
                weights[i] = rampLength == 1 ? 1.0 / n : 1.0 / n + (1.0 - 1.0 / n) * i / (rampLength - 1);
            }
            for (var i = rampLength; i < n; i++) weights[i] = 1.0;
        }
        else
        {
            for (var i = 0; i < n; i++) weights[i] = 1.0;
        }
        if (observationWeights is not null)
            for (var i = 0; i < n; i++) weights[i] *= observationWeights[i];
        weights[n] = options.PriorWeight;
        var total = weights.Sum();
        for (var i = 0; i <= n; i++) weights[i] /= total;
        return weights;
    }

    private static NumericKernels NumericDimension(ParamDistribution distribution, double[] values, int dimensionCount, TpeOptions options)
    {
        var (_, _, low, high) = NumericKernels.Bounds(distribution);
        var n = values.Length;
        var mu = new double[n + 1];
        for (var i = 0; i < n; i++) mu[i] = NumericKernels.ToKernelSpace(distribution, values[i]);
        mu[n] = 0.5 * (low + high);

        var range = high - low;
        var sigma = new double[n + 1];
        if (options.Multivariate)
        {
            // Scott's rule: spread · n^(−1/(d+4)), one width for all of this dimension's kernels. The spread is
            // a fixed fraction of the range (Optuna: 0.2) or, adaptively, the observations' own standard
            // deviation, capped at the uniform prior's (range/√12).
            var shrink = Math.Pow(Math.Max(n, 1), -1.0 / (dimensionCount + 4));
            var spread = options.MultivariateBandwidthRule == BandwidthRule.Scott
                ? Math.Min(StandardDeviation(mu, n), range / Math.Sqrt(12.0)) * options.MultivariateBandwidth / 0.2
                : options.MultivariateBandwidth * range;
            Array.Fill(sigma, spread * shrink);
        }
        else
        {
            NeighbourBandwidths(mu, low, high, sigma);
        }

        // Magic clip: no kernel narrower than range / min(100, n + 2), none wider than the range.
        // The floor never exceeds the range: Math.Clamp refuses min > max (a range under 1e-12 without the magic clip).
        var minSigma = Math.Min(options.ConsiderMagicClip ? range / Math.Min(100.0, 1.0 + (n + 1)) : 1e-12, range);
        for (var i = 0; i < n; i++) sigma[i] = Math.Clamp(sigma[i], minSigma, range);
        sigma[n] = range; // the prior kernel spans the whole box
        return new NumericKernels(distribution, mu, sigma, options.OmitKernelScale);
    }

    /// <summary>Sample standard deviation of the first <paramref name="n"/> values; +∞ when there are fewer than two.</summary>
    private static double StandardDeviation(double[] values, int n)
    {
        if (n < 2) return double.PositiveInfinity;
        double mean = 0;
        for (var i = 0; i < n; i++) mean += values[i];
        mean /= n;
        double squares = 0;
        for (var i = 0; i < n; i++) squares += (values[i] - mean) * (values[i] - mean);
        return Math.Sqrt(squares / (n - 1));
    }

    /// <summary>
    /// Each kernel's width is the larger gap to its sorted neighbours (the box ends count as neighbours,
    /// except that the outermost kernels use their inner gap: Optuna's consider_endpoints = false).
    /// </summary>
    private static void NeighbourBandwidths(double[] mu, double low, double high, double[] sigma)
    {
        var count = mu.Length;
        var order = new int[count];
        for (var i = 0; i < count; i++) order[i] = i;
        var keys = (double[])mu.Clone();
        Array.Sort(keys, order);
        for (var r = 0; r < count; r++)
        {
            var left = r == 0 ? low : keys[r - 1];
            var right = r == count - 1 ? high : keys[r + 1];
            var width = Math.Max(keys[r] - left, right - keys[r]);
            if (count >= 2)
            {
                if (r == 0) width = keys[1] - keys[0];
                else if (r == count - 1) width = keys[r] - keys[r - 1];
            }
            sigma[order[r]] = width;
        }
    }

    private static CategoricalKernels CategoricalDimension(CategoricalDistribution distribution, double[] values, TpeOptions options)
    {
        var n = values.Length;
        var choices = distribution.Choices.Count;
        var probabilities = new double[n + 1, choices];
        // Each observed kernel puts its mass on the observed choice, smoothed towards uniform by the prior.
        var smoothing = options.PriorWeight / (n + 1);
        for (var k = 0; k <= n; k++)
        {
            for (var c = 0; c < choices; c++) probabilities[k, c] = smoothing;
            if (k < n) probabilities[k, (int)values[k]] += 1.0;
            double rowSum = 0;
            for (var c = 0; c < choices; c++) rowSum += probabilities[k, c];
            for (var c = 0; c < choices; c++) probabilities[k, c] /= rowSum;
        }
        return new CategoricalKernels(probabilities);
    }
}
