using SweepCluster.Search.Numerics;
using SweepCluster.Search.Space;

namespace SweepCluster.Search.Tpe;

/// <summary>
/// One parameter's share of a Parzen mixture: for each kernel, how it scores and draws this parameter.
/// A multivariate mixture has one per parameter, all indexed by the same kernel.
/// </summary>
internal abstract class KernelDimension
{
    public abstract int KernelCount { get; }

    /// <summary>Adds each kernel's log-density of <paramref name="value"/> to <paramref name="perKernel"/>.</summary>
    public abstract void AddLogPdf(double value, Span<double> perKernel);

    public abstract double Sample(int kernel, SeededRandom random);
}

/// <summary>
/// Truncated-normal kernels for a float or int parameter, in the space where the prior is uniform
/// (log space for log-scaled parameters). Discrete parameters (int, stepped float) integrate each kernel
/// over the value's bin, so a grid point's probability is exact rather than a density.
/// </summary>
internal sealed class NumericKernels : KernelDimension
{
    private readonly double[] _mu;
    private readonly double[] _sigma;
    private readonly double[] _logConstant; // −log σ − log √(2π) − log mass on the box
    private readonly double[] _logMass;
    private readonly double[] _inverseSigma;
    private readonly bool _log;
    private readonly double _halfStep;
    private readonly ParamDistribution _distribution;

    public double Low { get; }
    public double High { get; }

    public NumericKernels(ParamDistribution distribution, double[] mu, double[] sigma, bool omitKernelScale)
    {
        _distribution = distribution;
        (_log, _halfStep, Low, High) = Bounds(distribution);
        _mu = mu;
        _sigma = sigma;
        _inverseSigma = new double[mu.Length];
        _logMass = new double[mu.Length];
        _logConstant = new double[mu.Length];
        for (var k = 0; k < mu.Length; k++)
        {
            _inverseSigma[k] = 1.0 / sigma[k];
            _logMass[k] = TruncatedNormal.LogMass(mu[k], sigma[k], Low, High);
            _logConstant[k] = (omitKernelScale ? 0 : -Math.Log(sigma[k])) - StandardNormal.LogSqrt2Pi - _logMass[k];
        }
    }

    public override int KernelCount => _mu.Length;

    /// <summary>Whether the kernel space is logarithmic, the half-width of a value's bin, and the kernel-space box.</summary>
    public static (bool Log, double HalfStep, double Low, double High) Bounds(ParamDistribution distribution) => distribution switch
    {
        FloatDistribution { Step: double step } f => (false, step / 2, f.Low - step / 2, f.High + step / 2),
        FloatDistribution f => (f.Log, 0, f.Log ? Math.Log(f.Low) : f.Low, f.Log ? Math.Log(f.High) : f.High),
        IntDistribution { Log: true } i => (true, 0.5, Math.Log(i.Low - 0.5), Math.Log(i.High + 0.5)),
        IntDistribution i => (false, i.Step / 2.0, i.Low - i.Step / 2.0, i.High + i.Step / 2.0),
        _ => throw new ArgumentException("numeric kernels need a float or int distribution"),
    };

    /// <summary>An internal value mapped into kernel space.</summary>
    public static double ToKernelSpace(ParamDistribution distribution, double value) =>
        distribution is FloatDistribution { Log: true, Step: null } or IntDistribution { Log: true } ? Math.Log(value) : value;

    public override void AddLogPdf(double value, Span<double> perKernel)
    {
        if (_halfStep == 0)
        {
            var x = _log ? Math.Log(value) : value;
            for (var k = 0; k < perKernel.Length; k++)
            {
                var z = (x - _mu[k]) * _inverseSigma[k];
                perKernel[k] += _logConstant[k] - 0.5 * z * z;
            }
            return;
        }
        var lower = Math.Max(Transform(value - _halfStep), Low);
        var upper = Math.Min(Transform(value + _halfStep), High);
        double? width = null;
        for (var k = 0; k < perKernel.Length; k++)
        {
            var a = (lower - _mu[k]) * _inverseSigma[k];
            var b = (upper - _mu[k]) * _inverseSigma[k];
            double logMass;
            if (b - a > MinStandardWidth)
            {
                logMass = StandardNormal.LogDiffCdf(a, b);
            }
            else
            {
                // A bin far narrower than the kernel: value ± step/2 may not even be representable (integers
                // past 2^52, log bins of large integers), so a and b can coincide and Φ(b) − Φ(a) cancels to 0.
                // The midpoint rule φ(mid)·width is exact to width², with the width computed on its own.
                width ??= BinWidth(value);
                var w = width.Value * _inverseSigma[k];
                logMass = StandardNormal.LogPdf(a + 0.5 * w) + Math.Log(w);
            }
            perKernel[k] += logMass - _logMass[k];
        }
    }

    /// <summary>Below this width (in standard deviations) a bin's mass is taken by the midpoint rule.</summary>
    private const double MinStandardWidth = 1e-8;

    /// <summary>The width of a grid value's bin in kernel space, without cancellation.</summary>
    private double BinWidth(double value) =>
        _log ? StandardNormal.Log1P(2 * _halfStep / (value - _halfStep)) : 2 * _halfStep;

    public override double Sample(int kernel, SeededRandom random)
    {
        var x = TruncatedNormal.Sample(_mu[kernel], _sigma[kernel], Low, High, random);
        var value = _log ? Math.Exp(x) : x;
        return _distribution switch
        {
            FloatDistribution f => f.Snap(value),
            IntDistribution i => i.Snap(value),
            _ => value,
        };
    }

    private double Transform(double value) => _log ? Math.Log(Math.Max(value, double.Epsilon)) : value;
}

/// <summary>Categorical kernels: each kernel is a distribution over the choices.</summary>
internal sealed class CategoricalKernels(double[,] probabilities) : KernelDimension
{
    private readonly double[,] _logProbabilities = LogOf(probabilities);

    public override int KernelCount => probabilities.GetLength(0);

    public override void AddLogPdf(double value, Span<double> perKernel)
    {
        var choice = (int)value;
        for (var k = 0; k < perKernel.Length; k++) perKernel[k] += _logProbabilities[k, choice];
    }

    public override double Sample(int kernel, SeededRandom random)
    {
        var n = probabilities.GetLength(1);
        Span<double> row = n <= 256 ? stackalloc double[n] : new double[n];
        for (var c = 0; c < n; c++) row[c] = probabilities[kernel, c];
        return random.NextWeighted(row);
    }

    private static double[,] LogOf(double[,] p)
    {
        var result = new double[p.GetLength(0), p.GetLength(1)];
        for (var i = 0; i < p.GetLength(0); i++)
            for (var j = 0; j < p.GetLength(1); j++)
                result[i, j] = Math.Log(p[i, j]);
        return result;
    }
}
