namespace SweepCluster.Search.Space;

/// <summary>
/// The set of values one parameter may take. Samplers work on an "internal" double for every
/// distribution (the value itself for numbers, the choice index for categoricals), so history,
/// kernels and serialisation never need to know the external type.
/// </summary>
public abstract record ParamDistribution
{
    /// <summary>The external value (double, long, string or bool) for an internal value.</summary>
    public abstract object ToExternal(double internalValue);

    /// <summary>The internal value for an external value; throws when the value is not in the distribution.</summary>
    public abstract double ToInternal(object externalValue);

    /// <summary>True when the internal value is one this distribution can produce.</summary>
    public abstract bool Contains(double internalValue);

    /// <summary>
    /// True when the distribution holds exactly one value (float or int with low = high, a one-choice
    /// categorical). Samplers hand that value out without modelling it, as Optuna does
    /// (<c>BaseDistribution.single()</c>, used by <c>Trial._suggest</c>): a kernel over an empty range
    /// has zero width and would give NaN.
    /// </summary>
    public abstract bool IsSingle { get; }

    /// <summary>The internal value of a single-point distribution (see <see cref="IsSingle"/>).</summary>
    /// <exception cref="InvalidOperationException">The distribution holds more than one value.</exception>
    public double SingleValue => IsSingle ? SingleInternal() : throw new InvalidOperationException("the distribution holds more than one value");

    private protected abstract double SingleInternal();

    /// <summary>
    /// The largest integer magnitude a double holds exactly, 2^53. Internal values are doubles, so int
    /// bounds and grid indices beyond it could not be sampled exactly; the space refuses them.
    /// </summary>
    public const long MaxExactInteger = 1L << 53;
}

/// <summary>A real-valued parameter on [Low, High], optionally log-scaled or quantised by Step.</summary>
public sealed record FloatDistribution(double Low, double High, bool Log = false, double? Step = null) : ParamDistribution
{
    public override object ToExternal(double internalValue) => internalValue;

    public override double ToInternal(object externalValue) => Convert.ToDouble(externalValue, System.Globalization.CultureInfo.InvariantCulture);

    public override bool Contains(double internalValue)
    {
        if (!(internalValue >= Low && internalValue <= High)) return false;
        if (Step is not double step) return true;
        // Compare with the nearest grid point in value units: on a grid of billions of points the index
        // (value − low) / step carries rounding far above any fixed tolerance on the index.
        var nearest = Low + Math.Round((internalValue - Low) / step) * step;
        var scale = Math.Max(Math.Abs(Low), Math.Abs(High));
        var ulp = Math.BitIncrement(scale) - scale;
        return Math.Abs(internalValue - nearest) <= Math.Max(1e-8 * step, 8 * ulp);
    }

    public override bool IsSingle => Low == High;

    private protected override double SingleInternal() => Low;

    /// <summary>How many values a stepped float can take: (high − low) / step + 1. Null when not stepped.</summary>
    public long? GridPoints => Step is double step ? (long)Math.Round((High - Low) / step) + 1 : null;

    /// <summary>Snaps a value to the grid (when stepped) and into the bounds.</summary>
    public double Snap(double value)
    {
        if (Step is double step)
        {
            value = Low + Math.Round((value - Low) / step) * step;
        }
        return Math.Clamp(value, Low, High);
    }
}

/// <summary>An integer parameter on [Low, High] with a step, optionally log-scaled (then Step is 1).</summary>
public sealed record IntDistribution(long Low, long High, long Step = 1, bool Log = false) : ParamDistribution
{
    public override object ToExternal(double internalValue) => (long)Math.Round(internalValue);

    public override double ToInternal(object externalValue) => Convert.ToDouble(externalValue, System.Globalization.CultureInfo.InvariantCulture);

    public override bool Contains(double internalValue) =>
        internalValue >= Low && internalValue <= High && internalValue == Math.Round(internalValue)
        && ((long)internalValue - Low) % Step == 0;

    public override bool IsSingle => Low == High;

    private protected override double SingleInternal() => Low;

    /// <summary>How many values the parameter can take: (high − low) / step + 1 (a long: 0..2^32−1 has 2^32).</summary>
    public long GridPoints => (High - Low) / Step + 1;

    /// <summary>Snaps a value to the nearest grid point within the bounds.</summary>
    public double Snap(double value)
    {
        var snapped = Low + Math.Round((value - Low) / Step) * Step;
        return Math.Clamp(snapped, Low, High);
    }
}

/// <summary>One of a fixed list of choices: numbers (long or double), strings or booleans.</summary>
public sealed record CategoricalDistribution(IReadOnlyList<object> Choices) : ParamDistribution
{
    public override object ToExternal(double internalValue) => Choices[(int)internalValue];

    public override double ToInternal(object externalValue)
    {
        var index = IndexOf(externalValue);
        if (index < 0)
        {
            throw new ArgumentException($"value '{externalValue}' is not one of the choices [{string.Join(", ", Choices)}]");
        }
        return index;
    }

    public override bool Contains(double internalValue) =>
        internalValue >= 0 && internalValue < Choices.Count && internalValue == Math.Round(internalValue);

    public override bool IsSingle => Choices.Count == 1;

    private protected override double SingleInternal() => 0;

    public int IndexOf(object value)
    {
        for (var i = 0; i < Choices.Count; i++)
        {
            if (ChoiceEquality.AreEqual(Choices[i], value)) return i;
        }
        return -1;
    }

    public bool Equals(CategoricalDistribution? other) =>
        other is not null && Choices.Count == other.Choices.Count
        && Choices.Zip(other.Choices).All(pair => ChoiceEquality.AreEqual(pair.First, pair.Second));

    public override int GetHashCode() => Choices.Count;
}

/// <summary>Equality of choice values where 8, 8L and 8.0 are the same number.</summary>
public static class ChoiceEquality
{
    public static bool AreEqual(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
        {
            return Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture)
                == Convert.ToDouble(b, System.Globalization.CultureInfo.InvariantCulture);
        }
        return a.Equals(b);
    }

    public static bool IsNumber(object value) =>
        value is double or float or long or int or short or byte or decimal or ulong or uint;
}
