using System.Text.Json;
using SweepCluster.Training.Tokenization;

namespace SweepCluster.Training.Tests.Tokenization;

/// <summary>
/// RoBERTa's byte-level BPE on the real GPT-2 files (ML.NET's encoder.json + vocab.bpe + fairseq dict.txt).
/// Two layouts: the folder as shipped (GPT-2 ids renumbered through dict.txt by the encoder) and a
/// Hugging Face layout (vocab.json + merges.txt) whose RoBERTa vocab.json this test writes itself.
/// The anchors are RoBERTa ids known from the published model: &lt;s&gt;=0, &lt;pad&gt;=1, &lt;/s&gt;=2, "."=4,
/// " the"=5, ","=6, "Hello"=31414, " world"=232.
/// </summary>
public sealed class ByteLevelBpeEncoderTests
{
    private static readonly string Shipped = TokenizerFiles.Folder("roberta-gpt2-bpe-mlnet");
    private static readonly Lazy<string> HuggingFaceLayout = new(WriteHuggingFaceLayout);

    /// <summary>vocab.json as RoBERTa's conversion made it: 4 specials, then dict.txt's GPT-2 ids in order, then &lt;mask&gt;.</summary>
    private static string WriteHuggingFaceLayout()
    {
        var folder = TokenizerFiles.TemporaryFolder();
        var gpt2 = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(Shipped, "encoder.json")))!
            .ToDictionary(p => p.Value.ToString(), p => p.Key);
        var vocabulary = new Dictionary<string, int> { ["<s>"] = 0, ["<pad>"] = 1, ["</s>"] = 2, ["<unk>"] = 3 };
        foreach (var line in File.ReadLines(Path.Combine(Shipped, "dict.txt")))
        {
            var symbol = line.Split(' ')[0];
            vocabulary[gpt2.GetValueOrDefault(symbol, symbol)] = vocabulary.Count;
        }
        vocabulary["<mask>"] = vocabulary.Count;
        File.WriteAllText(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(vocabulary));
        File.Copy(Path.Combine(Shipped, "vocab.bpe"), Path.Combine(folder, "merges.txt"));
        return folder;
    }

    public static TheoryData<string, long[]> KnownIds => new()
    {
        { "Hello world", [0, 31414, 232, 2] },
        { "Hello world.", [0, 31414, 232, 4, 2] },
        { "Hello, the world", [0, 31414, 6, 5, 232, 2] },
        { "", [0, 2] },
    };

    [Theory]
    [MemberData(nameof(KnownIds))]
    public void Known_strings_give_the_known_roberta_ids(string text, long[] expected)
    {
        Assert.Equal(expected, ByteLevelBpeEncoder.Load(HuggingFaceLayout.Value).Encode(text, 64));
        Assert.Equal(expected, ByteLevelBpeEncoder.Load(Shipped).Encode(text, 64));
    }

    [Fact]
    public void The_anchor_ids_are_those_of_the_gpt2_tokens_in_encoder_json()
    {
        var gpt2 = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(Shipped, "encoder.json")))!;
        var dictionary = File.ReadLines(Path.Combine(Shipped, "dict.txt")).Select(l => l.Split(' ')[0]).ToList();
        // RoBERTa id = 4 + the line of the GPT-2 id in dict.txt.
        Assert.Equal(31414, 4 + dictionary.IndexOf(gpt2["Hello"].ToString()));
        Assert.Equal(232, 4 + dictionary.IndexOf(gpt2["Ġworld"].ToString()));
        Assert.Equal(4, 4 + dictionary.IndexOf(gpt2["."].ToString()));
    }

    [Fact]
    public void Special_and_vocabulary_ids_match_roberta_base()
    {
        var encoder = ByteLevelBpeEncoder.Load(HuggingFaceLayout.Value);
        Assert.Equal(1, encoder.PadTokenId);
        Assert.Equal(0, encoder.StartTokenId);
        Assert.Equal(2, encoder.EndTokenId);
        Assert.Equal(50265, encoder.VocabularySize); // roberta-base config.json vocab_size
        Assert.Equal(50265, ByteLevelBpeEncoder.Load(Shipped).VocabularySize);
    }

    [Theory]
    [InlineData("Hello world")]
    [InlineData("  double  spaces and trailing ")]
    [InlineData("I can't believe it's not butter!!!")]
    [InlineData("The café served crème brûlée; naïve coöperation.")]
    [InlineData("emoji 😀🔥 and hearts ❤️ 👍🏽, 中文字符, Дмитрий")]
    [InlineData("tabs\tand\nnewlines\r\n")]
    [InlineData("k\u200bill extrem\u00adist \u202ebidi\u202c \u0001ctl \ufeffbom")]
    public void Decoding_gives_back_the_text(string text)
    {
        var encoder = ByteLevelBpeEncoder.Load(HuggingFaceLayout.Value);
        Assert.Equal(text, encoder.Decode(encoder.Encode(text, 512)));
    }

    [Fact]
    public void Real_rows_round_trip_and_both_layouts_agree()
    {
        var shipped = ByteLevelBpeEncoder.Load(Shipped);
        var huggingFace = ByteLevelBpeEncoder.Load(HuggingFaceLayout.Value);
        foreach (var text in ExtremismData.Texts.Take(100).Concat(TokenizerFiles.DetoxComments().Take(100)))
        {
            var ids = huggingFace.Encode(text, 4096);
            Assert.Equal(ids, shipped.Encode(text, 4096));
            Assert.Equal(text, huggingFace.Decode(ids));
        }
    }

    [Fact]
    public void Truncation_keeps_the_end_token()
    {
        var ids = ByteLevelBpeEncoder.Load(HuggingFaceLayout.Value).Encode(string.Join(' ', Enumerable.Repeat("Hello world", 50)), 10);
        Assert.Equal([0, 31414, 232, 20920, 232, 20920, 232, 20920, 232, 2], ids); // " Hello" = 20920
    }

    [Fact]
    public void A_folder_without_bpe_files_is_named_in_the_error()
    {
        var folder = TokenizerFiles.TemporaryFolder();
        File.WriteAllText(Path.Combine(folder, "vocab.json"), "{}"); // merges.txt missing
        var e = Assert.Throws<FileNotFoundException>(() => ByteLevelBpeEncoder.Load(folder));
        Assert.Contains($"{folder}: no vocab.json + merges.txt", e.Message);
        Assert.Contains("roberta", e.Message);
    }

    /// <summary>
    /// Issue 10, kind 4, for RoBERTa: its byte-level BPE has no normaliser and keeps every character (format and
    /// control characters included) as UTF-8 bytes, so U+200B is its own piece between "k" and "ill". The expected
    /// pieces follow GPT-2's pre-tokenisation (a run of non-letter, non-digit, non-space characters is one word) and
    /// byte-to-unicode table (E2 80 8B → "âĢĭ"), each looked up in vocab.json, not taken from our encoder.
    /// </summary>
    [Fact]
    public void A_zero_width_space_is_kept_as_its_bytes()
    {
        var vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(HuggingFaceLayout.Value, "vocab.json")))!;
        long[] expected = [0, vocabulary["k"], vocabulary["âĢĭ"], vocabulary["ill"], vocabulary["Ġthem"], 2];
        Assert.Equal(expected, ByteLevelBpeEncoder.Load(HuggingFaceLayout.Value).Encode("k\u200bill them", 64));
    }
}
