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
/// when lower-casing unless strip_accents says otherwise, as in Hugging Face. Format characters (zero-width
/// space, soft hyphen, bidi marks) are removed as BERT's _clean_text removes them, so "k\u200bill" is "kill".
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
    /// BERT's BasicTokenizer (transformers' tokenization_bert.py, as Google's tokenization.py did it) as one
    /// space-separated string: remove NUL, U+FFFD and every character of a Unicode "C" category (Cc, Cf, Co, Cn,
    /// Cs: zero-width spaces, soft hyphens, bidi marks) except tab and line breaks; make whitespace (tab, line
    /// breaks, Zs, and Zl/Zp, which Python's str.split splits on) a space; NFC; lower-case with Python's
    /// str.lower (İ → i + U+0307, final ς); NFD and drop Mn when stripping accents; then stand every punctuation
    /// mark and CJK ideograph apart as its own word.
    /// </summary>
    internal string BasicTokenize(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is 0 or 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) cleaned.Append(' ');
            else cleaned.Append(rune.ToString());
        }
        text = cleaned.ToString().Normalize(NormalizationForm.FormC);
        if (_lowerCase) text = PythonCasing.Lower(text);
        if (_stripAccents) text = text.Normalize(NormalizationForm.FormD);
        var words = new StringBuilder(text.Length + 16);
        foreach (var rune in text.EnumerateRunes())
        {
            if (_stripAccents && Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark) continue;
            if (IsPunctuation(rune) || IsCjkIdeograph(rune.Value)) words.Append(' ').Append(rune.ToString()).Append(' ');
            else words.Append(rune.ToString());
        }
        return words.ToString();
    }

    // BERT's _is_control: any "C" category but the three it counts as whitespace. Cn depends on the Unicode
    // version (.NET's here, Python's there); assigned characters agree.
    private static bool IsControl(Rune rune) =>
        rune.Value is not ('\t' or '\n' or '\r') &&
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate;

    // BERT's _is_whitespace (space, tab, line breaks, Zs) plus Zl and Zp, which survive _clean_text but are split on by
    // whitespace_tokenize (Python's str.split); the other .NET white space (VT, FF, NEL) is Cc and already removed.
    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' ||
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

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
