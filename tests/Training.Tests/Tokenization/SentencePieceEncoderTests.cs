using System.Text.Json;
using SweepCluster.Training.Tests.Models;
using SweepCluster.Training.Tokenization;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Tokenization;

/// <summary>
/// A DeBERTa-v3-layout spm.model (Unigram, [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3) trained on the extremism texts,
/// with the ids sentencepiece and transformers' DebertaV2Tokenizer give (they agree on every sample).
/// </summary>
public sealed class SentencePieceEncoderTests
{
    public static TheoryData<int> Cases() => new(Enumerable.Range(0, Reference().Count));

    private static IReadOnlyList<(string Text, int[] Ids)> Reference()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(HuggingFaceFixtures.Folder("deberta-v3-spm"), "reference.json")));
        return json.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => (c.GetProperty("text").GetString()!, c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_match_the_reference_tokenizer(int index)
    {
        var (text, expected) = Reference()[index];
        var encoder = TokenizerLoader.Load(HuggingFaceFixtures.Folder("deberta-v3-spm"), BackboneFamily.DebertaV2);
        Assert.Equal(expected.Select(i => (long)i), encoder.Encode(text, 32));
    }

    [Fact]
    public void Padding_is_id_zero()
    {
        var encoder = TokenizerLoader.Load(HuggingFaceFixtures.Folder("deberta-v3-spm"), BackboneFamily.DebertaV2);
        Assert.Equal(0, encoder.PadTokenId);
    }

    /// <summary>
    /// Issue 10, kind 4, for DeBERTa-v3: the model's nmt_nfkc map (sentencepiece src/builder.cc BuildNmtNFKCMap and
    /// data/nmt_nfkc.tsv) makes U+200B, U+200E/F, U+2028/9 and U+FEFF a space, deletes the C0 controls other than
    /// tab and line breaks, and keeps the soft hyphen (NFKC leaves U+00AD alone). Each text encodes as its form under that map.
    /// </summary>
    public static TheoryData<string, string> NmtNfkc => new()
    {
        { "k\u200bill them", "k ill them" },
        { "kill\u200ethem\u2028now", "kill them now" },
        { "\ufeffkill them", " kill them" },
        { "ki\u0001ll them\u001f", "kill them" },     // deleted: Microsoft.ML.Tokenizers alone gives an empty [UNK] here
        { "a\u000bb\u007fc", "abc" },
        { "ｋｉｌｌ them", "kill them" },                 // NFKC folds full-width letters
    };

    [Theory]
    [MemberData(nameof(NmtNfkc))]
    public void Format_and_control_characters_are_normalised_as_sentencepiece_does(string text, string normalised)
    {
        var encoder = TokenizerLoader.Load(HuggingFaceFixtures.Folder("deberta-v3-spm"), BackboneFamily.DebertaV2);
        Assert.Equal(encoder.Encode(normalised, 32), encoder.Encode(text, 32));
    }

    [Fact]
    public void A_soft_hyphen_stays_a_character_as_in_sentencepiece()
    {
        var encoder = TokenizerLoader.Load(HuggingFaceFixtures.Folder("deberta-v3-spm"), BackboneFamily.DebertaV2);
        Assert.NotEqual(encoder.Encode("extremist", 32), encoder.Encode("extrem\u00adist", 32));
        Assert.Contains(3L, encoder.Encode("extrem\u00adist", 32)); // [UNK]: the model never saw U+00AD
    }
}
