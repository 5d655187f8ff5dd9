using SweepCluster.Search.Numerics;

namespace SweepCluster.Search.Sampling;

/// <summary>
/// A randomised quasi-random sequence: the Halton sequence with every digit of every dimension passed through
/// a permutation drawn from the seed. Each point is uniform on the unit cube, but consecutive points fill it
/// evenly instead of clumping, so a random search or TPE's start-up phase covers the space faster.
/// Point i depends only on (seed, i, dimension): nothing to persist.
/// </summary>
public sealed class ScrambledHalton
{
    private const int DigitsPerDimension = 40;
    private static readonly int[] Primes = FirstPrimes(256);

    private readonly long _seed;
    private readonly Dictionary<int, int[][]> _permutations = new();

    public ScrambledHalton(long seed) => _seed = seed;

    public static int MaxDimensions => Primes.Length;

    /// <summary>Coordinate <paramref name="dimension"/> of point <paramref name="index"/>, in [0, 1).</summary>
    public double Coordinate(long index, int dimension)
    {
        if (dimension < 0 || dimension >= Primes.Length) throw new ArgumentOutOfRangeException(nameof(dimension));
        var b = Primes[dimension];
        var permutations = PermutationsFor(dimension);
        double result = 0, scale = 1.0 / b;
        var n = index;
        for (var digit = 0; digit < DigitsPerDimension && scale > 1e-17; digit++)
        {
            // Past the index's last digit the digits are 0, but permuted zeros still add random low-order bits.
            result += permutations[digit][(int)(n % b)] * scale;
            n /= b;
            scale /= b;
        }
        return Math.Min(result, 1.0 - 1e-16);
    }

    private int[][] PermutationsFor(int dimension)
    {
        lock (_permutations)
        {
            if (_permutations.TryGetValue(dimension, out var cached)) return cached;
            var b = Primes[dimension];
            var random = SeededRandom.ForTrial(_seed, dimension, stream: 0x4A17);
            var permutations = new int[DigitsPerDimension][];
            for (var digit = 0; digit < DigitsPerDimension; digit++)
            {
                var p = Enumerable.Range(0, b).ToArray();
                for (var i = b - 1; i > 0; i--)
                {
                    var j = random.NextInt(i + 1);
                    (p[i], p[j]) = (p[j], p[i]);
                }
                permutations[digit] = p;
            }
            _permutations[dimension] = permutations;
            return permutations;
        }
    }

    private static int[] FirstPrimes(int count)
    {
        var primes = new List<int>();
        for (var candidate = 2; primes.Count < count; candidate++)
        {
            if (primes.TakeWhile(p => p * p <= candidate).All(p => candidate % p != 0)) primes.Add(candidate);
        }
        return primes.ToArray();
    }
}
