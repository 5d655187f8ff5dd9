using System.Text.Json;

namespace SweepCluster.Training.Models;

/// <summary>The architecture of a checkpoint, read from its config.json (never hard-coded).</summary>
public sealed record BackboneConfig
{
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int IntermediateSize { get; init; }
    public int MaxPositions { get; init; } = 512;
    public int TypeVocabSize { get; init; } = 2;
    public double HiddenDropout { get; init; } = 0.1;
    public double AttentionDropout { get; init; } = 0.1;
    public double LayerNormEps { get; init; } = 1e-12;
    public string Activation { get; init; } = "gelu";
    public int PadTokenId { get; init; }
    /// <summary>Dropout before the classification head (DistilBERT's seq_classif_dropout); null = hidden dropout.</summary>
    public double? ClassifierDropout { get; init; }
    public int? NumLabels { get; init; }

    public static BackboneConfig Load(string checkpointFolder)
    {
        var path = Path.Combine(checkpointFolder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{checkpointFolder}: no config.json (the checkpoint's architecture)", path);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return Parse(json.RootElement, path);
    }

    public static BackboneConfig Parse(JsonElement c, string source = "config.json")
    {
        int Int(string name, int? fallback = null) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetInt32()
            : fallback ?? throw new InvalidDataException($"{source}: '{name}' is missing");
        double Number(string name, double fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;
        string Text(string name, string fallback) => c.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
        int? Labels() => c.TryGetProperty("id2label", out var map) && map.ValueKind == JsonValueKind.Object ? map.EnumerateObject().Count() : null;

        var type = Text("model_type", "");
        return type switch
        {
            "bert" or "roberta" or "electra" => new BackboneConfig
            {
                ModelType = type,
                VocabSize = Int("vocab_size"),
                HiddenSize = Int("hidden_size"),
                Layers = Int("num_hidden_layers"),
                Heads = Int("num_attention_heads"),
                IntermediateSize = Int("intermediate_size"),
                MaxPositions = Int("max_position_embeddings", 512),
                TypeVocabSize = Int("type_vocab_size", 2),
                HiddenDropout = Number("hidden_dropout_prob", 0.1),
                AttentionDropout = Number("attention_probs_dropout_prob", 0.1),
                LayerNormEps = Number("layer_norm_eps", 1e-12),
                Activation = Text("hidden_act", "gelu"),
                PadTokenId = Int("pad_token_id", 0),
                NumLabels = Labels(),
            },
            // DistilBERT names the same quantities differently and has no token types.
            "distilbert" => new BackboneConfig
            {
                ModelType = type,
                VocabSize = Int("vocab_size"),
                HiddenSize = Int("dim"),
                Layers = Int("n_layers"),
                Heads = Int("n_heads"),
                IntermediateSize = Int("hidden_dim"),
                MaxPositions = Int("max_position_embeddings", 512),
                TypeVocabSize = 0,
                HiddenDropout = Number("dropout", 0.1),
                AttentionDropout = Number("attention_dropout", 0.1),
                ClassifierDropout = Number("seq_classif_dropout", 0.2),
                LayerNormEps = 1e-12,
                Activation = Text("activation", "gelu"),
                PadTokenId = Int("pad_token_id", 0),
                NumLabels = Labels(),
            },
            "" => throw new InvalidDataException($"{source}: 'model_type' is missing"),
            _ => throw new InvalidDataException($"{source}: model_type '{type}' is not supported here yet (bert and distilbert are; roberta, electra and deberta-v2 are planned)"),
        };
    }
}
