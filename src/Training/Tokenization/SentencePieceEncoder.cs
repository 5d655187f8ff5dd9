using Microsoft.ML.Tokenizers;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// DeBERTa-v3's SentencePiece Unigram model (spm.model), framed [CLS] pieces [SEP]. In DeBERTa-v3's
/// model [PAD], [CLS], [SEP] and [UNK] are pieces 0-3, so they resolve from the model's own vocabulary.
/// </summary>
public sealed class SentencePieceEncoder : TextEncoder
{
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly int _unknownId;

    private SentencePieceEncoder(SentencePieceTokenizer tokenizer, SpecialTokenIds special, int vocabularySize) : base(special, vocabularySize)
    {
        _tokenizer = tokenizer;
        _unknownId = special.Unknown;
    }

    public static SentencePieceEncoder Load(string checkpointFolder) => Load(checkpointFolder, SpecialTokens.Read(checkpointFolder, SpecialTokens.DebertaV3));

    internal static SentencePieceEncoder Load(string checkpointFolder, SpecialTokens special)
    {
        var modelFile = Path.Combine(checkpointFolder, "spm.model");
        if (!File.Exists(modelFile))
            throw new FileNotFoundException($"{checkpointFolder}: no spm.model (the SentencePiece tokenizer model of the deberta-v2 family)", modelFile);
        using var stream = File.OpenRead(modelFile);
        // Framing is ours (TextEncoder), so the tokenizer adds neither its BOS nor its EOS.
        var tokenizer = SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false);
        var vocabulary = tokenizer.Vocabulary;
        var ids = special.Resolve(t => vocabulary.TryGetValue(t, out var id) ? id : null, checkpointFolder);
        return new SentencePieceEncoder(tokenizer, ids, vocabulary.Values.Max() + 1);
    }

    /// <summary>
    /// SentencePiece itself merges a run of unknown characters into one unknown piece ("UPPER" → one
    /// [UNK]); Microsoft.ML.Tokenizers 2.0.1 emits one per character, so runs are collapsed here.
    /// </summary>
    protected override IReadOnlyList<int> Pieces(string text)
    {
        var ids = _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        var merged = new List<int>(ids.Count);
        foreach (var id in ids)
        {
            if (id == _unknownId && merged.Count > 0 && merged[^1] == _unknownId) continue;
            merged.Add(id);
        }
        return merged;
    }

    protected override string DecodePieces(IEnumerable<int> pieces) => _tokenizer.Decode(pieces);
}
