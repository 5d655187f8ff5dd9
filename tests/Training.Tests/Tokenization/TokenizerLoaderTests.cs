using SweepCluster.Training.Tokenization;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Tokenization;

public sealed class TokenizerLoaderTests
{
    [Theory]
    [InlineData(BackboneFamily.Bert, "all-MiniLM-L6-v2")]
    [InlineData(BackboneFamily.DistilBert, "bert-tiny-emotion-config")]
    [InlineData(BackboneFamily.Electra, "electra-small-QUT-abusive-student-feedback")]
    public void WordPiece_families_load_vocab_txt_with_cls_and_sep(BackboneFamily family, string folder)
    {
        var encoder = TokenizerLoader.Load(TokenizerFiles.Folder(folder), family);
        Assert.IsType<WordPieceEncoder>(encoder);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], encoder.Encode("Hello, World!", 32)); // uncased BERT ids
        Assert.Equal(0, encoder.PadTokenId);
        Assert.Equal(30522, encoder.VocabularySize);
    }

    [Fact]
    public void Roberta_loads_the_original_file_names_too()
    {
        var encoder = TokenizerLoader.Load(TokenizerFiles.Folder("roberta-gpt2-bpe-mlnet"), BackboneFamily.Roberta);
        Assert.IsType<ByteLevelBpeEncoder>(encoder);
        Assert.Equal([0, 31414, 232, 2], encoder.Encode("Hello world", 8));
    }

    [Theory]
    [InlineData(BackboneFamily.Bert, "no vocab.txt")]
    [InlineData(BackboneFamily.Roberta, "no vocab.json + merges.txt (byte-level BPE tokenizer files for the roberta family")]
    [InlineData(BackboneFamily.DebertaV2, "no spm.model (the SentencePiece tokenizer model of the deberta-v2 family)")]
    public void A_missing_tokenizer_file_names_the_folder_and_the_file(BackboneFamily family, string expected)
    {
        var folder = TokenizerFiles.TemporaryFolder();
        var e = Assert.Throws<FileNotFoundException>(() => TokenizerLoader.Load(folder, family));
        Assert.StartsWith($"{folder}: {expected}", e.Message);
    }

    /// <summary>The DeBERTa-v3-layout spm.model fixture (SentencePieceEncoderTests checks every id against transformers).</summary>
    [Fact]
    public void DebertaV3_spm_model_gives_cls_pieces_sep()
    {
        var encoder = TokenizerLoader.Load(Models.HuggingFaceFixtures.Folder("deberta-v3-spm"), BackboneFamily.DebertaV2);
        var ids = encoder.Encode("should burn to the ground", 16);
        Assert.Equal(1, ids[0]);
        Assert.Equal(2, ids[^1]);
        Assert.True(ids.Length > 3);
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        var folder = Path.Combine(Path.GetTempPath(), "no-such-checkpoint-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => TokenizerLoader.Load(folder, BackboneFamily.Bert));
        Assert.Contains(folder, e.Message);
    }

    /// <summary>A checkpoint naming its own tokens (as an object with "content", as newer Hugging Face writes) is followed.</summary>
    [Fact]
    public void Special_tokens_come_from_the_checkpoint_when_it_names_them()
    {
        var folder = CopyOf("all-MiniLM-L6-v2", "vocab.txt");
        File.WriteAllText(Path.Combine(folder, "special_tokens_map.json"),
            """{"cls_token": {"content": "[unused1]"}, "sep_token": "[unused2]", "pad_token": "[unused0]", "unk_token": "[UNK]"}""");
        var encoder = TokenizerLoader.Load(folder, BackboneFamily.Bert);
        Assert.Equal([2, 7592, 3], encoder.Encode("hello", 8));
        Assert.Equal(1, encoder.PadTokenId);
    }

    [Fact]
    public void A_special_token_the_vocabulary_lacks_is_an_error()
    {
        var folder = CopyOf("all-MiniLM-L6-v2", "vocab.txt");
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"cls_token": "<s>"}""");
        var e = Assert.Throws<InvalidDataException>(() => TokenizerLoader.Load(folder, BackboneFamily.Bert));
        Assert.Contains("no <s> token", e.Message);
    }

    [Fact]
    public void Lower_casing_follows_do_lower_case_and_defaults_to_on()
    {
        var folder = CopyOf("all-MiniLM-L6-v2", "vocab.txt");
        Assert.Equal([101, 7592, 102], TokenizerLoader.Load(folder, BackboneFamily.Bert).Encode("HELLO", 8)); // no config: lower-cased
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"do_lower_case": false}""");
        Assert.Equal([101, 100, 102], TokenizerLoader.Load(folder, BackboneFamily.Bert).Encode("HELLO", 8)); // uncased vocab has no "HELLO"
    }

    private static string CopyOf(string tokenizer, params string[] files)
    {
        var folder = TokenizerFiles.TemporaryFolder();
        foreach (var file in files) File.Copy(Path.Combine(TokenizerFiles.Folder(tokenizer), file), Path.Combine(folder, file));
        return folder;
    }
}
