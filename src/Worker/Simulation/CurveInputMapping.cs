using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using SweepCluster.Search.Space;
using SweepCluster.Search.Synthetic;

namespace SweepCluster.Worker.Simulation;

/// <summary>
/// Maps a backbone's search space onto the learning-curve inputs (lr, reg, momentum) of bench/hpo/SUITE.md §5.
/// Parameters named <c>lr</c>/<c>learning_rate</c>, <c>reg</c>/<c>weight_decay</c> and <c>momentum</c> give
/// their input directly, so SUITE's own space reproduces SUITE's curves. The other parameters, sorted by
/// name, fill the inputs still unbound (in the order lr, reg, momentum) by their unit position in their
/// range; any left over each add 0.05·(u − 0.5)² to the asymptote. An input with no parameter, or whose
/// parameter is inactive in a trial, sits at the family's optimum.
/// </summary>
internal sealed class CurveInputMapping
{
    private const double ExtraParameterWeight = 0.05;

    private static readonly CurveInput[] Inputs =
    [
        new(["lr", "learning_rate"], u => Math.Pow(10.0, -5 + 4 * u)),
        new(["reg", "weight_decay"], u => u),
        new(["momentum"], u => LearningCurves.MomentumHigh * u),
    ];

    // Binding the space on every trial would dominate a zero-step-time run; the worker keeps one spec per
    // study, so its space instance is the key (and goes with it).
    private static readonly ConditionalWeakTable<SearchSpace, CurveInputMapping> BySpace = new();

    private readonly InputBinding?[] _bindings;
    private readonly ParamDefinition[] _extraParameters;

    private CurveInputMapping(SearchSpace space)
    {
        var unbound = space.Parameters.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        _bindings = Inputs.Select(input => BindByName(input, unbound)).ToArray();
        for (var i = 0; i < _bindings.Length && unbound.Count > 0; i++)
        {
            if (_bindings[i] is not null) continue;
            _bindings[i] = new InputBinding(unbound[0], Direct: false, Inputs[i].FromUnit);
            unbound.RemoveAt(0);
        }
        _extraParameters = [.. unbound];
    }

    /// <summary>The mapping of <paramref name="space"/>, built once per space instance.</summary>
    public static CurveInputMapping For(SearchSpace space) => BySpace.GetValue(space, s => new CurveInputMapping(s));

    /// <summary>The curve inputs (clamped into SUITE's ranges) and the extra parameters' asymptote shift.</summary>
    public (CurveInputs Inputs, double AsymptoteShift) Map(IReadOnlyDictionary<string, object> parameters, CurveInputs optimum)
    {
        var inputs = new CurveInputs(
            _bindings[0]?.ValueIn(parameters) ?? optimum.Lr,
            _bindings[1]?.ValueIn(parameters) ?? optimum.Reg,
            _bindings[2]?.ValueIn(parameters) ?? optimum.Momentum);
        var shift = 0.0;
        foreach (var parameter in _extraParameters)
        {
            if (parameters.TryGetValue(parameter.Name, out var value) && UnitPosition(parameter.Distribution, value) is double u)
            {
                shift += ExtraParameterWeight * (u - 0.5) * (u - 0.5);
            }
        }
        return (inputs.Clamped(), shift);
    }

    /// <summary>Where a value lies in its distribution's range: 0 at low, 1 at high (log-scaled when the range is); null when it is not a choice.</summary>
    public static double? UnitPosition(ParamDistribution distribution, object value) => distribution switch
    {
        FloatDistribution f => UnitPosition(ToDouble(value), f.Low, f.High, f.Log),
        IntDistribution i => UnitPosition(ToDouble(value), i.Low, i.High, i.Log),
        CategoricalDistribution c => c.IndexOf(value) switch
        {
            < 0 => null,
            var index => c.Choices.Count == 1 ? 0.5 : index / (double)(c.Choices.Count - 1),
        },
        _ => null,
    };

    private static double UnitPosition(double value, double low, double high, bool log)
    {
        if (!(high > low)) return 0.5;
        var u = log ? Math.Log(value / low) / Math.Log(high / low) : (value - low) / (high - low);
        return Math.Clamp(u, 0, 1);
    }

    private static double ToDouble(object value) => Convert.ToDouble(value, CultureInfo.InvariantCulture);

    private static InputBinding? BindByName(CurveInput input, List<ParamDefinition> unbound)
    {
        foreach (var name in input.Names)
        {
            var index = unbound.FindIndex(p => p.Name == name);
            if (index < 0) continue;
            var parameter = unbound[index];
            unbound.RemoveAt(index);
            return new InputBinding(parameter, Direct: true, input.FromUnit);
        }
        return null;
    }

    private sealed record CurveInput(string[] Names, Func<double, double> FromUnit);

    /// <summary>A curve input fed by one parameter, either by its value (named) or by its unit position.</summary>
    private sealed record InputBinding(ParamDefinition Parameter, bool Direct, Func<double, double> FromUnit)
    {
        public double? ValueIn(IReadOnlyDictionary<string, object> parameters)
        {
            if (!parameters.TryGetValue(Parameter.Name, out var value)) return null;
            if (Direct && ChoiceEquality.IsNumber(value)) return ToDouble(value);
            return UnitPosition(Parameter.Distribution, value) is double u ? FromUnit(u) : null;
        }
    }
}
