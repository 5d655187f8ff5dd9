using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// WordPiece for the BERT, DistilBERT and ELECTRA families, from a checkpoint's vocab.txt through
/// Microsoft.ML.Tokenizers' BertTokenizer: [CLS] tokens [SEP], truncated to the maximum length with
/// [SEP] kept. Lower-casing follows tokenizer_config.json (do_lower_case, default true); uncased
/// vocabularies also strip accents, which BertTokenizer does only with RemoveNonSpacingMarks.
/// </summary>
public sealed class WordPieceEncoder
{
    private readonly BertTokenizer _tokenizer;

    public long PadTokenId => _tokenizer.PaddingTokenId;
    public long ClassificationTokenId => _tokenizer.ClassificationTokenId;
    public long SeparatorTokenId => _tokenizer.SeparatorTokenId;

    private WordPieceEncoder(BertTokenizer tokenizer) => _tokenizer = tokenizer;

    public static WordPieceEncoder Load(string checkpointFolder)
    {
        var vocabulary = Path.Combine(checkpointFolder, "vocab.txt");
        if (!File.Exists(vocabulary))
            throw new FileNotFoundException($"{checkpointFolder}: no vocab.txt (the WordPiece vocabulary of BERT, DistilBERT and ELECTRA checkpoints)", vocabulary);
        var lowerCase = LowerCase(checkpointFolder);
        using var stream = File.OpenRead(vocabulary);
        return new WordPieceEncoder(BertTokenizer.Create(stream, new BertOptions
        {
            LowerCaseBeforeTokenization = lowerCase,
            RemoveNonSpacingMarks = lowerCase,
        }));
    }

    private static bool LowerCase(string folder)
    {
        var config = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(config)) return true;
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        return !json.RootElement.TryGetProperty("do_lower_case", out var lower) || lower.ValueKind != JsonValueKind.False;
    }

    /// <summary>[CLS] + word pieces + [SEP], at most <paramref name="maxLength"/> ids.</summary>
    public long[] Encode(string text, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentException($"max length must be >= 2, got {maxLength}");
        // BERT splits on every whitespace character; BertTokenizer 2.0.1 glues words across tabs and
        // line breaks (found by the reference test), so make all whitespace plain spaces first.
        var pieces = _tokenizer.EncodeToIds(string.Create(text.Length, text, (span, t) =>
        {
            for (var i = 0; i < t.Length; i++) span[i] = char.IsWhiteSpace(t[i]) ? ' ' : t[i];
        }), addSpecialTokens: false);
        var kept = Math.Min(pieces.Count, maxLength - 2);
        var ids = new long[kept + 2];
        ids[0] = ClassificationTokenId;
        for (var i = 0; i < kept; i++) ids[i + 1] = pieces[i];
        ids[^1] = SeparatorTokenId;
        return ids;
    }
}
