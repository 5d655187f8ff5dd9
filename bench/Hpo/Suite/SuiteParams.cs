using System.Globalization;

namespace SweepCluster.Bench.Hpo;

/// <summary>Reads suite parameters whatever numeric type the search hands back (double, long, int, ...).</summary>
public static class SuiteParams
{
    public static double Number(IReadOnlyDictionary<string, object> p, string name) =>
        p.TryGetValue(name, out var value)
            ? Convert.ToDouble(value, CultureInfo.InvariantCulture)
            : throw new ArgumentException($"parameter '{name}' is missing (got: {string.Join(", ", p.Keys)})", nameof(p));

    /// <summary>x0..x{d-1} as a coordinate array, for the classic box-bounded functions.</summary>
    public static double[] Coordinates(IReadOnlyDictionary<string, object> p, int dimension)
    {
        var x = new double[dimension];
        for (var j = 0; j < dimension; j++) x[j] = Number(p, $"x{j}");
        return x;
    }
}
