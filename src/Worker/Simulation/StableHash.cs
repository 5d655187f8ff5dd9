using SweepCluster.Search.Synthetic;

namespace SweepCluster.Worker.Simulation;

/// <summary>
/// A hash of a name that every process agrees on, unlike <see cref="string.GetHashCode()"/> which is
/// randomised per process: simulated curves must not change when a trial is re-leased to another worker.
/// </summary>
internal static class StableHash
{
    public static ulong Of(string text)
    {
        // FNV-1a over the UTF-16 code units, then a SplitMix64 finaliser so short names spread over all 64 bits.
        var hash = 0xCBF29CE484222325UL;
        unchecked
        {
            foreach (var c in text)
            {
                hash = (hash ^ c) * 0x100000001B3UL;
            }
        }
        return PortableNoise.SplitMix64(hash);
    }

    /// <summary>The hash as a uniform number on [0, 1).</summary>
    public static double ToUnit(ulong hash) => (hash >> 11) * (1.0 / (1UL << 53));
}
