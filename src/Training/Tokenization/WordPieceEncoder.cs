using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// WordPiece for the BERT, DistilBERT and ELECTRA families from a checkpoint's vocab.txt: BERT's
/// basic tokenization here, then Microsoft.ML.Tokenizers' WordPieceTokenizer on each word.
/// BertTokenizer 2.0.1 is not used because it drops symbols BERT keeps ($, =, ^, emoji → [UNK]) and
/// glues words across tabs and line breaks (both found by the reference test on tokenizer.json).
/// Lower-casing follows tokenizer_config.json (do_lower_case, default true); accents are stripped
/// when lower-casing unless strip_accents says otherwise, as in Hugging Face.
/// </summary>
public sealed class WordPieceEncoder : TextEncoder
{
    private readonly WordPieceTokenizer _tokenizer;
    private readonly bool _lowerCase;
    private readonly bool _stripAccents;

    private WordPieceEncoder(WordPieceTokenizer tokenizer, bool lowerCase, bool stripAccents, SpecialTokenIds special, int vocabularySize)
        : base(special, vocabularySize) => (_tokenizer, _lowerCase, _stripAccents) = (tokenizer, lowerCase, stripAccents);

    public static WordPieceEncoder Load(string checkpointFolder) => Load(checkpointFolder, SpecialTokens.Read(checkpointFolder, SpecialTokens.WordPiece));

    internal static WordPieceEncoder Load(string checkpointFolder, SpecialTokens special)
    {
        var vocabularyFile = Path.Combine(checkpointFolder, "vocab.txt");
        if (!File.Exists(vocabularyFile))
            throw new FileNotFoundException($"{checkpointFolder}: no vocab.txt (the WordPiece vocabulary of BERT, DistilBERT and ELECTRA checkpoints)", vocabularyFile);
        // One token a line, the line number is the id; read here to resolve special tokens and size the embeddings.
        var lines = File.ReadAllLines(vocabularyFile);
        var vocabulary = new Dictionary<string, int>();
        for (var id = 0; id < lines.Length; id++) vocabulary.TryAdd(lines[id], id);
        var ids = special.Resolve(t => vocabulary.TryGetValue(t, out var id) ? id : null, checkpointFolder);

        var (lowerCase, stripAccents) = Casing(checkpointFolder);
        using var stream = File.OpenRead(vocabularyFile);
        var tokenizer = WordPieceTokenizer.Create(stream, new WordPieceOptions
        {
            PreTokenizer = PreTokenizer.CreateWhiteSpace(), // words are already split by BasicTokenize
            UnknownToken = special.Unknown,
        });
        return new WordPieceEncoder(tokenizer, lowerCase, stripAccents, ids, lines.Length);
    }

    private static (bool LowerCase, bool StripAccents) Casing(string folder)
    {
        var config = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(config)) return (true, true);
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var lowerCase = Flag(json.RootElement, "do_lower_case") ?? true;
        return (lowerCase, Flag(json.RootElement, "strip_accents") ?? lowerCase);
    }

    private static bool? Flag(JsonElement root, string key) =>
        root.TryGetProperty(key, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;

    protected override IReadOnlyList<int> Pieces(string text) => _tokenizer.EncodeToIds(BasicTokenize(text));

    protected override string DecodePieces(IEnumerable<int> pieces) => _tokenizer.Decode(pieces);

    /// <summary>
    /// BERT's BasicTokenizer as one space-separated string: drop control characters, make all
    /// whitespace a space, lower-case and strip accents as configured, and stand every punctuation
    /// mark and CJK ideograph apart as its own word.
    /// </summary>
    private string BasicTokenize(string text)
    {
        if (_lowerCase) text = text.ToLowerInvariant();
        if (_stripAccents) text = text.Normalize(NormalizationForm.FormD);
        var words = new StringBuilder(text.Length + 16);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is 0 or 0xFFFD || (Rune.IsControl(rune) && !Rune.IsWhiteSpace(rune))) continue;
            if (_stripAccents && Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) continue;
            if (Rune.IsWhiteSpace(rune)) words.Append(' ');
            else if (IsPunctuation(rune) || IsCjkIdeograph(rune.Value)) words.Append(' ').Append(rune.ToString()).Append(' ');
            else words.Append(rune.ToString());
        }
        return words.ToString();
    }

    // BERT counts all non-alphanumeric ASCII ($, =, ^, `) as punctuation, though Unicode calls some of them symbols.
    private static bool IsPunctuation(Rune rune) =>
        (rune.IsAscii && char.IsAsciiLetterOrDigit((char)rune.Value) is false && rune.Value is > 32 and < 127) ||
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    // The CJK Unified Ideographs blocks BERT splits character by character (not Hangul, Hiragana or Katakana).
    private static bool IsCjkIdeograph(int c) =>
        c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
