using System.Globalization;

namespace SweepCluster.Studies.Yaml;

/// <summary>The numbers a key accepts, described the way error messages and docs/study-spec.md write them.</summary>
internal readonly record struct Bounds(double Min, double Max, bool MinIncluded, bool MaxIncluded)
{
    public static readonly Bounds Any = new(double.NegativeInfinity, double.PositiveInfinity, false, false);

    public static Bounds AtLeast(double min) => new(min, double.PositiveInfinity, true, false);

    public static Bounds Above(double min) => new(min, double.PositiveInfinity, false, false);

    /// <summary>[min, max].</summary>
    public static Bounds Closed(double min, double max) => new(min, max, true, true);

    /// <summary>[min, max).</summary>
    public static Bounds HalfOpen(double min, double max) => new(min, max, true, false);

    /// <summary>(min, max).</summary>
    public static Bounds Open(double min, double max) => new(min, max, false, false);

    public bool Contains(double value) =>
        (MinIncluded ? value >= Min : value > Min) && (MaxIncluded ? value <= Max : value < Max);

    public override string ToString()
    {
        if (double.IsPositiveInfinity(Max)) return $"{(MinIncluded ? ">=" : ">")} {Format(Min)}";
        return $"in {(MinIncluded ? '[' : '(')}{Format(Min)}, {Format(Max)}{(MaxIncluded ? ']' : ')')}";
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
