using SweepCluster.Training.Tokenization;

namespace SweepCluster.Training.Tests.Tokenization;

public sealed class TokenBatchTests
{
    private static readonly Lazy<TextEncoder> Encoder = new(() => WordPieceEncoder.Load(TokenizerFiles.Folder("all-MiniLM-L6-v2")));

    [Fact]
    public void A_batch_is_padded_to_its_longest_row_with_a_mask_over_real_tokens()
    {
        var batch = Encoder.Value.EncodeBatch(["hello", "hello world again", "hi there"], maxLength: 64);

        Assert.Equal(3, batch.BatchSize);
        Assert.Equal(5, batch.SequenceLength); // [CLS] hello world again [SEP]
        Assert.Equal(
            [101, 7592, 102, 0, 0,
             101, 7592, 2088, 2153, 102,
             101, 7632, 2045, 102, 0], batch.Ids);
        Assert.Equal(
            [1, 1, 1, 0, 0,
             1, 1, 1, 1, 1,
             1, 1, 1, 1, 0], batch.AttentionMask);
    }

    [Fact]
    public void Rows_longer_than_the_maximum_are_cut_to_it()
    {
        var batch = Encoder.Value.EncodeBatch(["short", string.Join(' ', Enumerable.Repeat("word", 300))], maxLength: 12);
        Assert.Equal(12, batch.SequenceLength);
        Assert.Equal(2 * 12, batch.Ids.Length);
        Assert.Equal(102, batch.Ids[^1]);
        Assert.Equal(3, batch.AttentionMask.Take(12).Sum());
    }

    [Fact]
    public void An_empty_batch_is_empty()
    {
        var batch = Encoder.Value.EncodeBatch([], 8);
        Assert.Equal((0, 0), (batch.BatchSize, batch.SequenceLength));
        Assert.Empty(batch.Ids);
        Assert.Empty(batch.AttentionMask);
    }

    private static readonly int[] Lengths = Enumerable.Range(0, 1000).Select(i => 3 + (i * 7919 % 200)).ToArray();
    private static readonly int[] Rows = Enumerable.Range(0, 1000).Where(i => i % 10 != 0).ToArray(); // e.g. a fold's training rows

    [Fact]
    public void Length_batches_hold_every_row_once()
    {
        var batches = LengthBatches.Plan(Rows, i => Lengths[i], batchSize: 16, seed: 3);
        Assert.Equal(Rows.Order(), batches.SelectMany(b => b).Order());
        Assert.All(batches, b => Assert.InRange(b.Length, 1, 16));
        Assert.Equal(50 + 7, batches.Count); // 900 rows in chunks of 50 × 16: one full chunk, then 100 rows make 6 batches of 16 and one of 4
    }

    [Fact]
    public void Length_batches_are_deterministic_for_a_seed_and_differ_between_seeds()
    {
        var first = LengthBatches.Plan(Rows, i => Lengths[i], 16, seed: 3);
        Assert.Equal(first, LengthBatches.Plan(Rows, i => Lengths[i], 16, seed: 3));
        Assert.NotEqual(first, LengthBatches.Plan(Rows, i => Lengths[i], 16, seed: 4));
    }

    [Fact]
    public void Length_batches_need_far_less_padding_than_random_batches()
    {
        static long Padding(IEnumerable<int[]> batches) => batches.Sum(b => (long)b.Length * b.Max(i => Lengths[i]) - b.Sum(i => Lengths[i]));
        var random = Rows.ToArray();
        new Random(3).Shuffle(random);
        var bucketed = Padding(LengthBatches.Plan(Rows, i => Lengths[i], 16, seed: 3));
        Assert.True(bucketed * 5 < Padding(random.Chunk(16)), $"padding {bucketed} vs {Padding(random.Chunk(16))}");
    }
}
