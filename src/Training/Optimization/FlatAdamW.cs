using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Optimization;

/// <summary>The peak learning rate and the weight decay of one parameter (the schedule scales the rate, not the decay).</summary>
public readonly record struct ParameterRate(double LearningRate, double WeightDecay);

/// <summary>Where one parameter lives in the flat buffers: elements [Offset, Offset + Count) of each, in the parameter's row-major order.</summary>
public sealed record FlatSegment(string Name, long Offset, long Count, long[] Shape, ParameterRate Rate);

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) and gradient-norm
/// clipping over one contiguous buffer per role, so a step is a fixed handful of kernels whatever the depth
/// of the model, and nothing in it waits for the device.
/// <para>
/// Layout: every trainable parameter (float32, or bfloat16 with float32 masters) is a view into one flat
/// float32 buffer <see cref="Weights"/> of <see cref="Count"/> elements; its <c>.grad</c> is a view into
/// <see cref="Gradients"/>, so autograd accumulates gradients straight into the flat buffer (PyTorch's
/// AccumulateGrad adds in place into a defined gradient). <see cref="ExpAvg"/> and <see cref="ExpAvgSq"/>
/// are AdamW's first and second moments, and <see cref="LearningRates"/> and <see cref="DecayRates"/> hold
/// each element's peak learning rate and learning rate × weight decay, which is how layer-wise decay, the
/// head's own rate and no decay on biases and norms are expressed without parameter groups. The schedule
/// multiplies one scalar.
/// </para>
/// <para>
/// On the CPU, <see cref="Update"/> runs clipping and AdamW as one fused pass instead of <see cref="Step"/>'s kernels
/// (measured on 2 threads, `training-bench optimizer-step`: 0.0086 s against 0.028 s for the 11.2 M-parameter small model).
/// </para>
/// <para>
/// In the mixed mode (<c>mixedBFloat16</c>) the model's parameters are bfloat16 views into a flat compute
/// buffer and their gradients views into a flat bfloat16 gradient buffer; the float32 masters, their
/// gradients and the moments are flat as above, and each direction is one copy (<see cref="GradientsToMasters"/>
/// and the end of <see cref="Step"/>).
/// </para>
/// <para>
/// Reference behaviour: TorchSharp's <c>optim.AdamW</c> and <c>nn.utils.clip_grad_norm_</c> (the same update as
/// PyTorch's <c>_single_tensor_adamw</c>/<c>_multi_tensor_adamw</c> without amsgrad: decay
/// <c>p ← p·(1 − lr·wd)</c>, moments <c>m ← β₁m + (1 − β₁)g</c>, <c>v ← β₂v + (1 − β₂)g²</c>, then
/// <c>p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)</c>). Results agree with it to float32 rounding (the
/// per-element rate enters as a division of the denominator instead of a scalar, and the gradient norm is
/// one reduction instead of a norm of per-tensor norms). One difference by design: a parameter that took no
/// part in the loss has a zero gradient rather than none, so it still decays (as in PyTorch with
/// <c>zero_grad(set_to_none=False)</c>).
/// </para>
/// </summary>
public sealed class FlatAdamW : IDisposable
{
    private readonly double _beta1, _beta2, _epsilon;
    private readonly long _chunk;

    /// <summary>The CPU default of <c>chunkElements</c>: 2^18 float32 elements (1 MiB per buffer), so a chunk's kernels share the cache.</summary>
    public const long CpuChunkElements = 1L << 18;
    private readonly List<Parameter> _parameters;
    private readonly Tensor? _computeWeights, _computeGradients;

    /// <summary>
    /// Flattens <paramref name="model"/>'s trainable parameters (those with <c>requires_grad</c>, each once), on the
    /// device they are on. Call it after the model is on its device and before it trains; the model's parameters
    /// stay views into the buffers afterwards (also after <see cref="Dispose"/>, which only releases the optimiser's
    /// own state and the gradients).
    /// </summary>
    /// <param name="rateOf">Each trainable parameter's peak rate and weight decay, by its name in <c>named_parameters()</c>.</param>
    /// <param name="mixedBFloat16">Convert the model to bfloat16 and keep float32 masters here (the model must be float32 on entry).</param>
    /// <param name="chunkElements">Elements per batch of kernels in <see cref="Step"/>; 0 = the whole buffer at once; null = the
    /// device's default: the whole buffer on CUDA (fewest launches), <see cref="CpuChunkElements"/> on the CPU, where each chunk's
    /// kernels stay in cache. Measured on the idle 2-core machine (`training-bench optimizer-step`, clip + AdamW alone): small
    /// (11.2 M) 0.030 s in chunks against 0.134 s whole, base (109.5 M) 0.241 against 0.218 s. Under heavy oversubscription
    /// (load 17 on 2 cores) chunks were slower (every kernel a parallel region waiting for both threads); a worker owns its cores.</param>
    public FlatAdamW(nn.Module model, Func<string, ParameterRate> rateOf, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
        bool mixedBFloat16 = false, long? chunkElements = null)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
        if (epsilon < 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be >= 0");
        (_beta1, _beta2, _epsilon) = (beta1, beta2, epsilon);

        var named = Trainable(model);
        if (named.Count == 0) throw new ArgumentException("the model has no trainable parameters", nameof(model));
        var device = named[0].Parameter.device;
        var segments = new List<FlatSegment>(named.Count);
        long offset = 0;
        foreach (var (name, parameter) in named)
        {
            if (parameter.dtype != float32) throw new ArgumentException($"{name} is {parameter.dtype}; the flat optimiser starts from float32 parameters");
            if (parameter.device_type != device.type || parameter.device_index != device.index) throw new ArgumentException($"{name} is on {parameter.device}, the others on {device}");
            var rate = rateOf(name);
            segments.Add(new FlatSegment(name, offset, parameter.numel(), parameter.shape, rate));
            offset += parameter.numel();
        }
        Segments = segments;
        Count = offset;
        _chunk = chunkElements switch
        {
            > 0 => chunkElements.Value,
            null when device.type == DeviceType.CPU => CpuChunkElements,
            _ => Math.Max(1, Count),
        };

        using (no_grad())
        {
            Weights = cat(named.Select(p => p.Parameter.detach().reshape(-1)).ToList(), 0).DetachFromDisposeScope();
            Gradients = zeros(Count, dtype: float32, device: device).DetachFromDisposeScope();
            ExpAvg = zeros(Count, dtype: float32, device: device).DetachFromDisposeScope();
            ExpAvgSq = zeros(Count, dtype: float32, device: device).DetachFromDisposeScope();
            LearningRates = empty(Count, dtype: float32, device: device).DetachFromDisposeScope();
            DecayRates = empty(Count, dtype: float32, device: device).DetachFromDisposeScope();
            foreach (var s in segments)
            {
                using var lr = LearningRates.narrow(0, s.Offset, s.Count);
                lr.fill_(s.Rate.LearningRate);
                using var decay = DecayRates.narrow(0, s.Offset, s.Count);
                decay.fill_(s.Rate.LearningRate * s.Rate.WeightDecay);
            }

            Tensor modelWeights = Weights, modelGradients = Gradients;
            if (mixedBFloat16)
            {
                model.to(bfloat16);
                named = Trainable(model);
                if (named.Count != segments.Count || named.Where((p, i) => p.Name != segments[i].Name).Any())
                    throw new InvalidOperationException("the model's trainable parameters changed when it was converted to bfloat16");
                _computeWeights = Weights.to(bfloat16).DetachFromDisposeScope();
                _computeGradients = zeros(Count, dtype: bfloat16, device: device).DetachFromDisposeScope();
                (modelWeights, modelGradients) = (_computeWeights, _computeGradients);
            }
            _parameters = [];
            for (var i = 0; i < named.Count; i++)
            {
                var (parameter, s) = (named[i].Parameter, segments[i]);
                using var weight = modelWeights.narrow(0, s.Offset, s.Count).view(s.Shape);
                parameter.set_(weight); // in place: returns the parameter itself
                parameter.grad = modelGradients.narrow(0, s.Offset, s.Count).view(s.Shape);
                _parameters.Add(parameter);
            }
        }
    }

    /// <summary>The number of elements in each flat buffer (trainable parameters, all together).</summary>
    public long Count { get; }

    /// <summary>Each trainable parameter's place in the buffers, in <c>named_parameters()</c> order.</summary>
    public IReadOnlyList<FlatSegment> Segments { get; }

    /// <summary>[Count] float32: the parameters (the masters in the mixed mode).</summary>
    public Tensor Weights { get; }

    /// <summary>[Count] float32: the gradients AdamW reads (the model's own in float32; the masters' in the mixed mode).</summary>
    public Tensor Gradients { get; }

    /// <summary>[Count] float32: AdamW's first moment m.</summary>
    public Tensor ExpAvg { get; }

    /// <summary>[Count] float32: AdamW's second moment v.</summary>
    public Tensor ExpAvgSq { get; }

    /// <summary>[Count] float32: each element's peak learning rate (before the schedule's factor).</summary>
    public Tensor LearningRates { get; }

    /// <summary>[Count] float32: each element's peak learning rate × weight decay (0 for biases and norms).</summary>
    public Tensor DecayRates { get; }

    /// <summary>AdamW steps taken so far (t in the bias corrections).</summary>
    public long StepCount { get; private set; }

    /// <summary>In the mixed mode, copies the model's bfloat16 gradients up into <see cref="Gradients"/> (one copy); otherwise nothing.</summary>
    public void GradientsToMasters()
    {
        if (_computeGradients is null) return;
        using var _ = no_grad();
        Gradients.copy_(_computeGradients);
    }

    /// <summary>clip_grad_norm_'s guard in max / (norm + ε): PyTorch's 1e-6.</summary>
    private const double ClipEpsilon = 1e-6;

    /// <summary>
    /// Scales <see cref="Gradients"/> so their joint 2-norm is at most <paramref name="maxNorm"/> (as <c>clip_grad_norm_</c>:
    /// factor min(1, maxNorm / (norm + 1e-6))). One norm over the flat buffer; no host synchronisation.
    /// </summary>
    /// <returns>The norm before clipping, a 0-d float32 tensor on the device (the caller disposes it).</returns>
    public Tensor ClipGradNorm(double maxNorm)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var norm = Gradients.norm();
        // TorchSharp's in-place operations return the tensor itself: nothing of theirs to dispose.
        Gradients.mul_((maxNorm / (norm + ClipEpsilon)).clamp_max_(1.0));
        return norm.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One AdamW step at <paramref name="scale"/> × each element's peak rate (the schedule's factor), then, in the
    /// mixed mode, one copy of the masters down into the model. A fixed number of kernels per chunk of the buffers.
    /// </summary>
    public void Step(double scale = 1)
    {
        var (scaledEpsilon, stepValue) = NextStep(scale);
        using (no_grad())
        {
            for (long start = 0; start < Count; start += _chunk)
            {
                using var scope = NewDisposeScope();
                var n = Math.Min(_chunk, Count - start);
                var p = Weights.narrow(0, start, n);
                var g = Gradients.narrow(0, start, n);
                var m = ExpAvg.narrow(0, start, n);
                var v = ExpAvgSq.narrow(0, start, n);
                // p ← p·(1 − scale·lr·wd): decoupled weight decay, before the moments as in PyTorch.
                p.addcmul_(p, DecayRates.narrow(0, start, n), value: -scale);
                // m ← m + (1 − β₁)(g − m): one pass, as PyTorch's AdamW writes it (lerp).
                m.lerp_(g, 1 - _beta1);
                v.mul_(_beta2).addcmul_(g, g, value: 1 - _beta2);
                // (√v + ε·√(1 − β₂ᵗ)) / lr, three passes instead of four (see NextStep); the per-element rate divides the denominator.
                var denominator = v.sqrt().add_(scaledEpsilon).div_(LearningRates.narrow(0, start, n));
                p.addcdiv_(m, denominator, value: stepValue);
            }
            _computeWeights?.copy_(Weights);
        }
    }

    /// <summary>
    /// Counts a step and returns its two bias-corrected scalars, shared by <see cref="Step"/> and <see cref="FusedCpuStep"/>.
    /// PyTorch's step, lr·m̂ / (√v̂ + ε), is taken with √(1 − β₂ᵗ) out of the denominator: the denominator is
    /// (√v + ε·√(1 − β₂ᵗ)) / lr and the update's value −scale·√(1 − β₂ᵗ) / (1 − β₁ᵗ).
    /// </summary>
    private (double ScaledEpsilon, double StepValue) NextStep(double scale)
    {
        StepCount++;
        var correction1 = 1 - Math.Pow(_beta1, StepCount);
        var correction2Root = Math.Sqrt(1 - Math.Pow(_beta2, StepCount));
        return (_epsilon * correction2Root, -scale * correction2Root / correction1);
    }

    /// <summary>Zeroes the gradients the model accumulates into (one fill; the views stay the parameters' <c>.grad</c>).</summary>
    public void ZeroGrad()
    {
        using var _ = no_grad();
        (_computeGradients ?? Gradients).zero_();
    }

    /// <summary>
    /// A whole optimiser step: gradients up (mixed), clip to <paramref name="maxGradNorm"/>, AdamW at <paramref name="scale"/>,
    /// zero the gradients. On a CUDA device these are <see cref="ClipGradNorm"/> and <see cref="Step"/>'s kernels, with no host
    /// synchronisation. On the CPU, where nothing is asynchronous to lose, the norm is read back and clipping and AdamW are one
    /// fused pass (<see cref="FusedCpuStep"/>): the same arithmetic as <see cref="Step"/> in the same order, so the weights agree
    /// to float32 rounding; <see cref="Gradients"/> are left unclipped (they are zeroed next).
    /// </summary>
    public void Update(double scale, double maxGradNorm)
    {
        GradientsToMasters();
        // The fused pass reaches the buffers through Tensor.bytes, an int-length span: up to 2^29 float32 elements.
        if (Weights.device_type == DeviceType.CPU && Count <= int.MaxValue / sizeof(float))
        {
            float norm;
            using (no_grad())
            using (var n = Gradients.norm()) norm = n.item<float>();
            // clip_grad_norm_'s factor, min(1, max / (norm + 1e-6)), in float32 as its tensor arithmetic is.
            FusedCpuStep(scale, Math.Min(1f, (float)maxGradNorm / (norm + (float)ClipEpsilon)));
        }
        else
        {
            ClipGradNorm(maxGradNorm).Dispose();
            Step(scale);
        }
        ZeroGrad();
    }

    /// <summary>
    /// <see cref="Step"/> on CPU buffers as one pass: each element's gradient is read once, multiplied by
    /// <paramref name="clip"/>, and its weight, moments, rate and decay are read and written once (6 streams in, 3 out,
    /// against about 22 passes for <see cref="Step"/>'s eight libtorch kernels, which on the CPU are memory-bound). SIMD
    /// (<see cref="System.Numerics.Vector{T}"/>) over one partition per torch thread. Per element, in float32, the
    /// operations of <see cref="Step"/> in its order: addcmul (decay), lerp (m), mul + addcmul (v), sqrt + add + div
    /// (denominator), addcdiv (update). Measured: bench/Training `training-bench ab` (issue 16's notes).
    /// </summary>
    private unsafe void FusedCpuStep(double scale, float clip)
    {
        var (scaledEpsilon, stepValue) = NextStep(scale);
        var c = new FusedConstants((float)-scale, (float)(1 - _beta1), (float)_beta2, (float)(1 - _beta2), (float)scaledEpsilon, (float)stepValue, clip);
        // Tensor.bytes is a span over a contiguous CPU tensor's own storage (no copy); the buffers live as long as this optimiser.
        var p = Address(Weights);
        var g = Address(Gradients);
        var m = Address(ExpAvg);
        var v = Address(ExpAvgSq);
        var lr = Address(LearningRates);
        var d = Address(DecayRates);
        var partitions = (int)Math.Clamp(Count / (1L << 16), 1, Math.Max(1, get_num_threads()));
        var width = System.Numerics.Vector<float>.Count;
        // Partition bounds on whole vectors, so only the last partition has a scalar tail.
        var per = ((Count + partitions - 1) / partitions + width - 1) / width * width;
        Parallel.For(0, partitions, new ParallelOptions { MaxDegreeOfParallelism = partitions }, k =>
        {
            var start = k * per;
            var end = Math.Min(Count, start + per);
            if (start < end) FusedRange(p, g, m, v, lr, d, start, end, c);
        });
        if (_computeWeights is not null)
        {
            using var _ = no_grad();
            _computeWeights.copy_(Weights);
        }
    }

    /// <summary>The first element of a contiguous float32 CPU buffer. Its storage is libtorch's, not the GC's, so the pointer stays valid after <c>fixed</c>.</summary>
    private static unsafe float* Address(Tensor buffer)
    {
        fixed (byte* start = buffer.bytes) return (float*)start;
    }

    private readonly record struct FusedConstants(float NegativeScale, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float ScaledEpsilon, float StepValue, float Clip);

    private static unsafe void FusedRange(float* p, float* g, float* m, float* v, float* lr, float* d, long start, long end, FusedConstants c)
    {
        var width = System.Numerics.Vector<float>.Count;
        var i = start;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var negativeScale = new System.Numerics.Vector<float>(c.NegativeScale);
            var oneMinusBeta1 = new System.Numerics.Vector<float>(c.OneMinusBeta1);
            var beta2 = new System.Numerics.Vector<float>(c.Beta2);
            var oneMinusBeta2 = new System.Numerics.Vector<float>(c.OneMinusBeta2);
            var epsilon = new System.Numerics.Vector<float>(c.ScaledEpsilon);
            var stepValue = new System.Numerics.Vector<float>(c.StepValue);
            var clip = new System.Numerics.Vector<float>(c.Clip);
            for (; i + width <= end; i += width)
            {
                var gi = System.Numerics.Vector.Load(g + i) * clip;
                var pi = System.Numerics.Vector.Load(p + i);
                pi += negativeScale * pi * System.Numerics.Vector.Load(d + i);
                var mi = System.Numerics.Vector.Load(m + i);
                mi += oneMinusBeta1 * (gi - mi);
                var vi = System.Numerics.Vector.Load(v + i) * beta2;
                vi += oneMinusBeta2 * gi * gi;
                var denominator = (System.Numerics.Vector.SquareRoot(vi) + epsilon) / System.Numerics.Vector.Load(lr + i);
                pi += stepValue * mi / denominator;
                System.Numerics.Vector.Store(pi, p + i);
                System.Numerics.Vector.Store(mi, m + i);
                System.Numerics.Vector.Store(vi, v + i);
            }
        }
        for (; i < end; i++)
        {
            var gi = g[i] * c.Clip;
            var pi = p[i];
            pi += c.NegativeScale * pi * d[i];
            var mi = m[i] + c.OneMinusBeta1 * (gi - m[i]);
            var vi = v[i] * c.Beta2 + c.OneMinusBeta2 * gi * gi;
            pi += c.StepValue * mi / ((MathF.Sqrt(vi) + c.ScaledEpsilon) / lr[i]);
            (p[i], m[i], v[i]) = (pi, mi, vi);
        }
    }

    /// <summary>Releases the masters, moments, factors and gradients; the model keeps its (flat-backed) weights.</summary>
    public void Dispose()
    {
        foreach (var parameter in _parameters) parameter.grad = null;
        foreach (var t in new[] { Gradients, ExpAvg, ExpAvgSq, LearningRates, DecayRates, _computeGradients }) t?.Dispose();
        // The model's parameters share the storage of Weights (float32) or of the compute buffer (mixed): the handles go, the storage stays with them.
        Weights.Dispose();
        _computeWeights?.Dispose();
    }

    private static List<(string Name, Parameter Parameter)> Trainable(nn.Module model)
    {
        var seen = new HashSet<IntPtr>();
        return model.named_parameters().Where(p => p.parameter.requires_grad && seen.Add(p.parameter.Handle)).Select(p => (p.name, p.parameter)).ToList();
    }
}
