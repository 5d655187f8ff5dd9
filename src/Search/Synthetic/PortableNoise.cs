namespace SweepCluster.Search.Synthetic;

/// <summary>
/// The suite's portable normal generator (bench/hpo/SUITE.md §4). It is a pure function of (stream, seed, i),
/// so a port draws the very same noise as the Python reference regardless of sampler randomness.
/// </summary>
public static class PortableNoise
{
    private const double TwoPow53 = 9007199254740992.0;

    /// <summary>SplitMix64 finaliser; all arithmetic wraps mod 2^64.</summary>
    public static ulong SplitMix64(ulong x)
    {
        unchecked
        {
            var z = x + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A standard normal draw (Box–Muller, cosine branch) keyed by stream, seed and index.</summary>
    public static double StdNormal(ulong stream, ulong seed, ulong i)
    {
        ulong a, b;
        unchecked
        {
            var key = stream * 0x100000001B3UL + seed * 1_000_003UL + i;
            a = SplitMix64(key);
            b = SplitMix64(a);
        }
        // (x >> 11) + 1 lies in [1, 2^53], so both uniforms are exact and in (0, 1]: ln(u1) is finite.
        var u1 = ((a >> 11) + 1) / TwoPow53;
        var u2 = ((b >> 11) + 1) / TwoPow53;
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
