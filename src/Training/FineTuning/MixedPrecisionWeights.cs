using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.FineTuning;

/// <summary>How a fold trains: float32 throughout, or bfloat16 compute with float32 master weights.</summary>
public enum TrainingPrecision { Float32, BFloat16Mixed }

/// <summary>
/// Mixed precision built from what TorchSharp 0.107 has (no autocast, no gradient scaler): the model
/// computes in bfloat16 while the optimiser updates float32 master copies of every parameter. After each
/// backward pass the bfloat16 gradients are copied up to the masters, the optimiser steps there, and the
/// masters are copied back down. bfloat16 keeps float32's exponent range, so no loss scaling is needed;
/// small updates are not lost because they accumulate in float32.
/// </summary>
public sealed class MixedPrecisionWeights : IDisposable
{
    private readonly IReadOnlyList<(Parameter Compute, Parameter Master)> _pairs;
    private readonly Dictionary<string, Parameter> _masters;

    public MixedPrecisionWeights(nn.Module model)
    {
        _masters = model.named_parameters().ToDictionary(p => p.name, p => new Parameter(p.parameter.detach().to(float32).clone(), p.parameter.requires_grad));
        model.to(bfloat16);
        _pairs = model.named_parameters().Select(p => (p.parameter, _masters[p.name])).ToList();
    }

    /// <summary>The float32 master of a model parameter, by its name: what the optimiser updates.</summary>
    public Parameter MasterOf(string name) => _masters[name];

    public IEnumerable<Parameter> Masters => _pairs.Select(p => p.Master);

    /// <summary>Copies the bfloat16 gradients up to the float32 masters (and clears the model's).</summary>
    public void GradientsToMasters()
    {
        foreach (var (compute, master) in _pairs)
        {
            var gradient = compute.grad;
            if (gradient is null) continue;
            master.grad = gradient.to(float32);
            compute.grad = null;
        }
    }

    /// <summary>Copies the updated masters back into the model's bfloat16 parameters.</summary>
    public void MastersToModel()
    {
        using var _ = no_grad();
        foreach (var (compute, master) in _pairs) compute.copy_(master);
    }

    public void Dispose()
    {
        foreach (var master in _masters.Values) master.Dispose();
    }
}
