using System.Text.Json;
using System.Text.Json.Nodes;
using SweepCluster.Training.Models;
using SweepCluster.Training.Tokenization;
using static TorchSharp.torch;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Checkpoints;

/// <summary>The size of a random-initialised checkpoint.</summary>
public sealed record CheckpointShape
{
    public int Layers { get; init; } = 2;
    public int Hidden { get; init; } = 64;
    public int Heads { get; init; } = 2;
    public int Intermediate { get; init; } = 128;
    /// <summary>Token positions the model accepts (RoBERTa's config adds its two offset positions).</summary>
    public int MaxPositions { get; init; } = 128;
    /// <summary>ELECTRA's embedding width (below the hidden size uses embeddings_project); null = hidden.</summary>
    public int? EmbeddingSize { get; init; }
}

/// <summary>
/// Writes a checkpoint folder laid out exactly as a Hugging Face download of the family (config.json in the
/// family's own names, model.safetensors with base-model keys and no task head, the tokenizer files) with
/// random weights over a real tokenizer's vocabulary. For smoke tests, demos and cluster tests where no
/// pretrained checkpoint can be brought: it trains like a real one, it just starts from nothing.
/// </summary>
public static class RandomCheckpoint
{
    private static readonly string[] WeightFiles = ["config.json", "model.safetensors", "pytorch_model.bin"];

    public static BackboneConfig Create(BackboneFamily family, string tokenizerFolder, string outputFolder, CheckpointShape shape, int seed)
    {
        var encoder = TokenizerLoader.Load(tokenizerFolder, family);
        Directory.CreateDirectory(outputFolder);
        foreach (var file in Directory.EnumerateFiles(tokenizerFolder).Where(f => !WeightFiles.Contains(Path.GetFileName(f))))
            File.Copy(file, Path.Combine(outputFolder, Path.GetFileName(file)), overwrite: true);

        var json = ConfigJson(family, shape, encoder.VocabularySize, (int)encoder.PadTokenId);
        File.WriteAllText(Path.Combine(outputFolder, "config.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var config = BackboneConfig.Load(outputFolder);

        manual_seed(seed);
        using var model = SequenceClassifier.Create(family, config, 2);
        var prefix = model.BackbonePrefix + ".";
        var weights = model.state_dict()
            .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        SafeTensors.Write(Path.Combine(outputFolder, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
        return config;
    }

    private static JsonObject ConfigJson(BackboneFamily family, CheckpointShape s, int vocabulary, int pad) => family switch
    {
        BackboneFamily.DistilBert => new JsonObject
        {
            ["model_type"] = "distilbert", ["architectures"] = new JsonArray("DistilBertModel"), ["vocab_size"] = vocabulary,
            ["dim"] = s.Hidden, ["n_layers"] = s.Layers, ["n_heads"] = s.Heads, ["hidden_dim"] = s.Intermediate,
            ["max_position_embeddings"] = s.MaxPositions, ["activation"] = "gelu", ["dropout"] = 0.1, ["attention_dropout"] = 0.1,
            ["seq_classif_dropout"] = 0.2, ["pad_token_id"] = pad,
        },
        BackboneFamily.DebertaV2 => new JsonObject
        {
            ["model_type"] = "deberta-v2", ["architectures"] = new JsonArray("DebertaV2Model"), ["vocab_size"] = vocabulary,
            ["hidden_size"] = s.Hidden, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads, ["intermediate_size"] = s.Intermediate,
            ["max_position_embeddings"] = s.MaxPositions, ["hidden_act"] = "gelu", ["hidden_dropout_prob"] = 0.1, ["attention_probs_dropout_prob"] = 0.1,
            ["layer_norm_eps"] = 1e-7, ["pad_token_id"] = pad, ["type_vocab_size"] = 0, ["relative_attention"] = true, ["position_buckets"] = 32,
            ["max_relative_positions"] = -1, ["pos_att_type"] = new JsonArray("p2c", "c2p"), ["norm_rel_ebd"] = "layer_norm",
            ["share_att_key"] = true, ["position_biased_input"] = false,
        },
        _ => new JsonObject
        {
            ["model_type"] = family switch { BackboneFamily.Roberta => "roberta", BackboneFamily.Electra => "electra", _ => "bert" },
            ["vocab_size"] = vocabulary, ["hidden_size"] = s.Hidden, ["num_hidden_layers"] = s.Layers, ["num_attention_heads"] = s.Heads,
            ["intermediate_size"] = s.Intermediate, ["hidden_act"] = "gelu", ["hidden_dropout_prob"] = 0.1, ["attention_probs_dropout_prob"] = 0.1,
            // RoBERTa numbers positions from padding_idx + 1, so its table is two longer than the longest input.
            ["max_position_embeddings"] = family == BackboneFamily.Roberta ? s.MaxPositions + pad + 1 : s.MaxPositions,
            ["type_vocab_size"] = family == BackboneFamily.Roberta ? 1 : 2,
            ["layer_norm_eps"] = family == BackboneFamily.Roberta ? 1e-5 : 1e-12, ["pad_token_id"] = pad,
            ["embedding_size"] = family == BackboneFamily.Electra ? s.EmbeddingSize ?? s.Hidden : null,
        },
    };
}
