using System.Globalization;
using System.Text;
using System.Text.Json;
using SweepCluster.Training.Tokenization;

namespace SweepCluster.Training.Tests.Tokenization;

/// <summary>
/// Our WordPiece (Microsoft.ML.Tokenizers) against an independent reference: the vocabulary of the
/// Hugging Face fast tokenizer's own tokenizer.json (all-MiniLM-L6-v2, uncased BERT) and the BERT
/// algorithm written out plainly here: clean, lower-case, strip accents, split on whitespace and
/// punctuation, then greedy longest-match-first with "##" continuations.
/// </summary>
public sealed class WordPieceEncoderTests
{
    private static string Folder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "shared/models/tokenizers/all-MiniLM-L6-v2")))
                return Path.Combine(dir.FullName, "shared/models/tokenizers/all-MiniLM-L6-v2");
        throw new DirectoryNotFoundException("shared/models/tokenizers/all-MiniLM-L6-v2");
    }

    private static readonly Lazy<Dictionary<string, int>> Vocabulary = new(() =>
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(), "tokenizer.json")));
        return json.RootElement.GetProperty("model").GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    });

    private static List<long> Reference(string text)
    {
        var vocab = Vocabulary.Value;
        var cleaned = new StringBuilder();
        foreach (var c in text.ToLowerInvariant().Normalize(NormalizationForm.FormD))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(c);
            if (category == UnicodeCategory.NonSpacingMark || c == 0 || c == 0xFFFD || (char.IsControl(c) && !char.IsWhiteSpace(c))) continue;
            if (char.IsWhiteSpace(c)) cleaned.Append(' ');
            else if (IsPunctuation(c)) cleaned.Append(' ').Append(c).Append(' ');
            else cleaned.Append(c);
        }
        var ids = new List<long> { vocab["[CLS]"] };
        foreach (var word in cleaned.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var pieces = new List<long>();
            var start = 0;
            while (start < word.Length)
            {
                var end = word.Length;
                int? found = null;
                while (end > start)
                {
                    var piece = (start > 0 ? "##" : "") + word[start..end];
                    if (vocab.TryGetValue(piece, out var id)) { found = id; break; }
                    end--;
                }
                if (found is null) { pieces = [vocab["[UNK]"]]; break; }
                pieces.Add(found.Value);
                start = end;
            }
            ids.AddRange(pieces);
        }
        ids.Add(vocab["[SEP]"]);
        return ids;
    }

    private static bool IsPunctuation(char c) =>
        (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) || char.IsPunctuation(c);

    public static TheoryData<string> Sentences => new()
    {
        "Hello, world!",
        "sixth forms should burn to the ground",
        "The café served crème brûlée; naïve coöperation.",
        "I can't believe it's not butter!!!",
        "unbelievably antidisestablishmentarianism",
        "e-mail me at someone@example.com (now)",
        "Numbers 3.14159 and 1,000,000 and 42nd",
        "WHY ARE YOU SHOUTING?",
        "tabs\tand\nnewlines   collapse",
    };

    [Theory]
    [MemberData(nameof(Sentences))]
    public void Ids_match_the_reference_tokenizer_definition(string text)
    {
        var encoder = WordPieceEncoder.Load(Folder());
        Assert.Equal(Reference(text), encoder.Encode(text, 512));
    }

    [Fact]
    public void Ids_match_on_real_extremism_rows()
    {
        var encoder = WordPieceEncoder.Load(Folder());
        foreach (var text in ExtremismData.Texts.Take(200)) Assert.Equal(Reference(text), encoder.Encode(text, 512));
    }

    [Fact]
    public void Truncation_keeps_the_separator()
    {
        var encoder = WordPieceEncoder.Load(Folder());
        var ids = encoder.Encode(string.Join(' ', Enumerable.Repeat("word", 100)), 16);
        Assert.Equal(16, ids.Length);
        Assert.Equal(Vocabulary.Value["[CLS]"], ids[0]);
        Assert.Equal(Vocabulary.Value["[SEP]"], ids[^1]);
        Assert.Equal(Vocabulary.Value["[PAD]"], encoder.PadTokenId);
    }

    [Fact]
    public void A_folder_without_a_vocabulary_is_named_in_the_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() => WordPieceEncoder.Load(Path.GetTempPath()));
        Assert.Contains("no vocab.txt", e.Message);
    }
}
