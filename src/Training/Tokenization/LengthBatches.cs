namespace SweepCluster.Training.Tokenization;

/// <summary>
/// Batches of similar length for training speed (little padding under dynamic padding) that are
/// still random: rows are shuffled, sorted by length within chunks of several batches, cut into
/// batches, and the batches shuffled. The same seed gives the same batches.
/// </summary>
public static class LengthBatches
{
    /// <param name="rows">The row indices to batch (e.g. a fold's training rows).</param>
    /// <param name="lengthOf">A row's length in tokens.</param>
    /// <param name="batchesPerChunk">How many batches share one length sort: more means less padding, less randomness.</param>
    public static List<int[]> Plan(IReadOnlyList<int> rows, Func<int, int> lengthOf, int batchSize, int seed, int batchesPerChunk = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchesPerChunk, 1);
        var random = new Random(seed);
        var shuffled = rows.ToArray();
        random.Shuffle(shuffled);
        var chunk = batchSize * batchesPerChunk;
        var batches = new List<int[]>();
        for (var start = 0; start < shuffled.Length; start += chunk)
        {
            var sorted = shuffled.AsSpan(start, Math.Min(chunk, shuffled.Length - start)).ToArray().OrderBy(lengthOf).ToArray();
            batches.AddRange(sorted.Chunk(batchSize));
        }
        var order = batches.ToArray();
        random.Shuffle(order);
        return [.. order];
    }
}
