namespace SweepCluster.Search.Numerics;

/// <summary>
/// A small portable generator (SplitMix64). Every trial gets its own stream derived from
/// (seed, trial number), so the next ask after a resume is identical without persisting RNG state.
/// </summary>
public sealed class SeededRandom
{
    private ulong _state;

    public SeededRandom(ulong seed) => _state = seed;

    /// <summary>A stream for one trial of one study: independent of how many numbers other trials drew.</summary>
    public static SeededRandom ForTrial(long seed, long trialNumber, ulong stream = 0)
    {
        unchecked
        {
            var key = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ Mix((ulong)trialNumber + 0x632BE59BD9B4E019UL) ^ (stream * 0xD6E8FEB86659FD93UL));
            return new SeededRandom(key);
        }
    }

    public ulong NextUInt64()
    {
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            return Mix(_state);
        }
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform on (0, 1): safe to take the log of.</summary>
    public double NextOpenDouble() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer on [0, n) without modulo bias.</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        var bound = (ulong)n;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var r = NextUInt64();
            if (r >= threshold) return (int)(r % bound);
        }
    }

    /// <summary>Draws an index with probability proportional to weights (which need not sum to 1).</summary>
    public int NextWeighted(ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        var u = NextDouble() * total;
        double cumulative = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (u < cumulative) return i;
        }
        return weights.Length - 1;
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }
}
