using System.Globalization;
using System.Text;
using System.Text.Json;
using SweepCluster.Training.Tokenization;

namespace SweepCluster.Training.Tests.Tokenization;

/// <summary>
/// Our WordPiece (Microsoft.ML.Tokenizers) against an independent reference: the vocabulary of the
/// Hugging Face fast tokenizer's own tokenizer.json (all-MiniLM-L6-v2, uncased BERT) and the BERT
/// algorithm written out plainly here: clean, lower-case, strip accents, split on whitespace,
/// punctuation and CJK characters, then greedy longest-match-first with "##" continuations.
/// </summary>
public sealed class WordPieceEncoderTests
{
    private static readonly string Folder = TokenizerFiles.Folder("all-MiniLM-L6-v2");
    private static readonly Lazy<WordPieceEncoder> Encoder = new(() => WordPieceEncoder.Load(Folder));

    private static readonly Lazy<Dictionary<string, int>> Vocabulary = new(() =>
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "tokenizer.json")));
        return json.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    });

    private static List<long> Reference(string text, int maxLength = int.MaxValue)
    {
        var vocab = Vocabulary.Value;
        var cleaned = new StringBuilder();
        foreach (var rune in text.ToLowerInvariant().Normalize(NormalizationForm.FormD).EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            // transformers' _clean_text: NUL, U+FFFD and every "C" category out, but tab and line breaks.
            if (category == UnicodeCategory.NonSpacingMark || rune.Value == 0 || rune.Value == 0xFFFD ||
                (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned
                    && rune.Value is not ('\t' or '\n' or '\r'))) continue;
            if (rune.Value is ' ' or '\t' or '\n' or '\r' || category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                cleaned.Append(' ');
            else if (IsPunctuation(rune) || IsCjk(rune.Value)) cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else cleaned.Append(rune.ToString());
        }
        var pieces = new List<long>();
        foreach (var word in cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            pieces.AddRange(WordPieces(word, vocab));
        var ids = new List<long> { vocab["[CLS]"] };
        ids.AddRange(pieces.Take(maxLength - 2));
        ids.Add(vocab["[SEP]"]);
        return ids;
    }

    private static List<long> WordPieces(string word, Dictionary<string, int> vocab)
    {
        if (word.EnumerateRunes().Count() > 100) return [vocab["[UNK]"]]; // max_input_chars_per_word
        var pieces = new List<long>();
        var start = 0;
        while (start < word.Length)
        {
            int? found = null;
            var end = word.Length;
            for (; end > start; end--)
            {
                if (char.IsLowSurrogate(word[end - 1]) && end - 1 > start) continue; // never cut a surrogate pair
                if (vocab.TryGetValue((start > 0 ? "##" : "") + word[start..end], out var id)) { found = id; break; }
            }
            if (found is null) return [vocab["[UNK]"]];
            pieces.Add(found.Value);
            start = end;
        }
        return pieces;
    }

    private static bool IsPunctuation(Rune r) =>
        (r.Value >= 33 && r.Value <= 47) || (r.Value >= 58 && r.Value <= 64) || (r.Value >= 91 && r.Value <= 96) || (r.Value >= 123 && r.Value <= 126) ||
        Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsCjk(int c) =>
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
        (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);

    public static TheoryData<string> Sentences => new()
    {
        "Hello, world!",
        "sixth forms should burn to the ground",
        "The café served crème brûlée; naïve coöperation.",
        "Ångström, Øresund, São Paulo, Zürich, Kraków",
        "I can't believe it's not butter!!!",
        "unbelievably antidisestablishmentarianism",
        "e-mail me at someone@example.com (now)",
        "Numbers 3.14159 and 1,000,000 and 42nd",
        "WHY ARE YOU SHOUTING?",
        "tabs\tand\nnewlines   collapse\r\n",
        "“Smart quotes” — and an en–dash… ¿qué? ¡sí!",
        "emoji 😀🔥 and hearts ❤️ mixed in text 👍🏽",
        "xqzvbnmwrtp glorpfizzle zzzzzzzz",
        "中文字符 mixed with English 日本語",
        "#hashtag @mention $100 50% a&b <tag> [brackets] {braces} ~tilde^ `code` |pipe| back\\slash",
        "   leading and trailing spaces   ",
        "",
        "straße résumé façade jalapeño",
        "Дмитрий говорит по-русски",
        "a" + new string('b', 120) + " word",
    };

    [Theory]
    [MemberData(nameof(Sentences))]
    public void Ids_match_the_reference_tokenizer_definition(string text) =>
        Assert.Equal(Reference(text), Encoder.Value.Encode(text, 512));

    /// <summary>
    /// Issue 10, kind 4: Hugging Face's BasicTokenizer removes Cc/Cf/Co/Cn characters (tab and line breaks
    /// aside) before splitting and lower-cases with Python's str.lower, so each text encodes as its cleaned
    /// form. The cleaned forms are what CPython 3.11 gives ("İstanbul".lower() == "i\u0307stanbul", accent
    /// stripping then drops U+0307; "ΟΔΟΣ".lower() == "οδος" with final ς), not our own output.
    /// </summary>
    public static TheoryData<string, string> HuggingFaceCleaning => new()
    {
        { "k\u200bill them", "kill them" },               // zero-width space (Cf)
        { "extrem\u00adist", "extremist" },               // soft hyphen (Cf)
        { "İstanbul", "istanbul" },                        // U+0130: full lower-casing to i + U+0307
        { "ISTANBUL İSTANBUL", "istanbul istanbul" },
        { "ki\u200cl\u200dl\u2060 th\ufeffem", "kill them" }, // ZWNJ, ZWJ, word joiner, BOM (all Cf)
        { "\u202ekill\u202c them\u200e\u200f", "kill them" }, // bidi overrides and marks (Cf)
        { "kill\ue000 them", "kill them" },                // private use (Co)
        { "ki\u0001ll\u0085 them\u000b\u000c", "kill them" }, // C0/C1 controls, VT, FF, NEL are Cc: removed, not spaces
        { "kill\u2028them\u2029now", "kill them now" },    // line/paragraph separators split words (str.split)
        { "kill\u00a0them\u3000now", "kill them now" },    // Zs is whitespace
        { "ΟΔΟΣ ΟΔΟΣ.", "οδος οδος." },                    // final sigma (U+03C2) at the end of a word
        { "ΣΑΣ", "σας" },
    };

    [Theory]
    [MemberData(nameof(HuggingFaceCleaning))]
    public void Format_and_control_characters_and_full_lower_casing_follow_hugging_face(string text, string cleaned)
    {
        Assert.Equal(Encoder.Value.Encode(cleaned, 512), Encoder.Value.Encode(text, 512));
        Assert.Equal(Reference(cleaned), Encoder.Value.Encode(text, 512));
    }

    [Fact]
    public void A_zero_width_space_inside_a_word_gives_the_word_as_hugging_face_does() =>
        Assert.Equal([101, 3102, 2068, 102], Encoder.Value.Encode("k\u200bill them", 512)); // HF bert-base-uncased: "kill them"

    [Fact]
    public void Final_sigma_is_its_own_vocabulary_entry()
    {
        // CPython: "AΣ".lower() == "aς"; the uncased vocabulary has both ##ς and ##σ, so the casing decides the id.
        var v = Vocabulary.Value;
        Assert.Equal([v["[CLS]"], v["a"], v["##ς"], v["[SEP]"]], Encoder.Value.Encode("AΣ", 8));
        Assert.Equal([v["[CLS]"], v["a"], v["##σ"], v["##a"], v["[SEP]"]], Encoder.Value.Encode("AΣA", 8));
    }

    [Fact]
    public void Ids_match_on_real_extremism_rows()
    {
        foreach (var text in ExtremismData.Texts.Take(300)) Assert.Equal(Reference(text), Encoder.Value.Encode(text, 512));
    }

    [Fact]
    public void Ids_match_on_wikipedia_detox_comments()
    {
        var comments = TokenizerFiles.DetoxComments().ToList();
        Assert.True(comments.Count > 200);
        foreach (var text in comments) Assert.Equal(Reference(text, 512), Encoder.Value.Encode(text, 512));
    }

    [Fact]
    public void Long_real_text_is_truncated_like_the_reference_and_keeps_the_separator()
    {
        var text = string.Join(" ", TokenizerFiles.DetoxComments());
        var ids = Encoder.Value.Encode(text, 128);
        Assert.Equal(128, ids.Length);
        Assert.Equal(Reference(text, 128), ids);
        Assert.Equal(Vocabulary.Value["[SEP]"], ids[^1]);
    }

    [Fact]
    public void Truncation_keeps_the_separator()
    {
        var ids = Encoder.Value.Encode(string.Join(' ', Enumerable.Repeat("word", 100)), 16);
        Assert.Equal(16, ids.Length);
        Assert.Equal(Vocabulary.Value["[CLS]"], ids[0]);
        Assert.Equal(Vocabulary.Value["[SEP]"], ids[^1]);
        Assert.Equal(Vocabulary.Value["[PAD]"], Encoder.Value.PadTokenId);
        Assert.Equal(Vocabulary.Value.Count, Encoder.Value.VocabularySize);
    }

    [Fact]
    public void Too_short_a_maximum_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Encoder.Value.Encode("hi", 1));

    [Fact]
    public void Decode_gives_back_the_lower_cased_words() =>
        Assert.Equal("hello, world!", Encoder.Value.Decode(Encoder.Value.Encode("Hello, world!", 32)));

    [Fact]
    public void A_folder_without_a_vocabulary_is_named_in_the_error()
    {
        var folder = TokenizerFiles.TemporaryFolder();
        var e = Assert.Throws<FileNotFoundException>(() => WordPieceEncoder.Load(folder));
        Assert.Contains(folder, e.Message);
        Assert.Contains("no vocab.txt", e.Message);
    }
}
