using System.Text.Json;
using SweepCluster.Contracts.Studies;
using SweepCluster.Training.Tests.Models;
using SweepCluster.Training.Tokenization;

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
}
