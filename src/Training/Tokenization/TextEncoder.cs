namespace SweepCluster.Training.Tokenization;

/// <summary>
/// What every family shares: one start token, the tokenizer's pieces, one end token, and truncation
/// that keeps the end token (the classifier reads the start token, but the backbone was pre-trained
/// on sequences that always close).
/// </summary>
public abstract class TextEncoder(SpecialTokenIds special, int vocabularySize) : ITextEncoder
{
    public long PadTokenId => special.Pad;
    public long StartTokenId => special.Start;
    public long EndTokenId => special.End;
    public int VocabularySize => vocabularySize;

    /// <summary>The tokenizer's ids for <paramref name="text"/> without any special tokens.</summary>
    protected abstract IReadOnlyList<int> Pieces(string text);

    /// <summary>The tokenizer's text for ids that hold no start, end or pad token.</summary>
    protected abstract string DecodePieces(IEnumerable<int> pieces);

    /// <summary>Back to text, the start, end and pad tokens left out (for checks and logs).</summary>
    public string Decode(IEnumerable<long> ids) =>
        DecodePieces(ids.Where(id => id != special.Start && id != special.End && id != special.Pad).Select(id => checked((int)id)));

    public long[] Encode(string text, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "room is needed for the start and end tokens");
        var pieces = Pieces(text);
        var kept = Math.Min(pieces.Count, maxLength - 2);
        var ids = new long[kept + 2];
        ids[0] = special.Start;
        for (var i = 0; i < kept; i++) ids[i + 1] = pieces[i];
        ids[^1] = special.End;
        return ids;
    }

    public TokenBatch EncodeBatch(IReadOnlyList<string> texts, int maxLength) =>
        TokenBatch.Pad(texts.Select(t => Encode(t, maxLength)).ToList(), special.Pad);
}

/// <summary>The ids of the framing and padding tokens, as resolved in the family's vocabulary.</summary>
public sealed record SpecialTokenIds(int Start, int End, int Pad, int Unknown);
