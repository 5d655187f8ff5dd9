namespace SweepCluster.Training.Tokenization;

/// <summary>
/// Turns text into a backbone's input ids, framed by the family's special tokens
/// ([CLS] … [SEP] for WordPiece and DeBERTa-v3, &lt;s&gt; … &lt;/s&gt; for RoBERTa).
/// </summary>
public interface ITextEncoder
{
    long PadTokenId { get; }

    /// <summary>One past the largest id the tokenizer can produce (the embedding table needs at least this many rows).</summary>
    int VocabularySize { get; }

    /// <summary>Start token + pieces + end token, at most <paramref name="maxLength"/> ids; truncation drops pieces, never the end token.</summary>
    long[] Encode(string text, int maxLength);

    /// <summary>Every text encoded and padded to the longest row of this batch (dynamic padding), not to maxLength.</summary>
    TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength);
}

/// <summary>A padded batch: <see cref="Ids"/> and <see cref="AttentionMask"/> are row-major [BatchSize, SequenceLength]; the mask is 1 on real tokens, 0 on padding.</summary>
public sealed record TokenBatch(long[] Ids, long[] AttentionMask, int BatchSize, int SequenceLength)
{
    public static TokenBatch Pad(IReadOnlyList<long[]> rows, long padTokenId)
    {
        var length = rows.Count == 0 ? 0 : rows.Max(r => r.Length);
        var ids = new long[rows.Count * length];
        var mask = new long[rows.Count * length];
        for (var row = 0; row < rows.Count; row++)
        {
            var offset = row * length;
            rows[row].CopyTo(ids, offset);
            ids.AsSpan(offset + rows[row].Length, length - rows[row].Length).Fill(padTokenId);
            mask.AsSpan(offset, rows[row].Length).Fill(1);
        }
        return new TokenBatch(ids, mask, rows.Count, length);
    }
}
