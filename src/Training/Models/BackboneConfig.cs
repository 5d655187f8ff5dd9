using System.Text.Json;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Models;

/// <summary>
/// The architecture of a checkpoint, read from its config.json (never hard-coded). One record for every
/// family: DistilBERT's own names (dim, n_layers, …) land on the same properties as BERT's, and the
/// DeBERTa-v2 fields are ignored by the families that have no use for them.
/// </summary>
public sealed record BackboneConfig
{
    /// <summary>config.json's model_type: bert, distilbert, roberta, electra or deberta-v2.</summary>
    public required string ModelType { get; init; }
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int Layers { get; init; }
    public required int Heads { get; init; }
    public required int IntermediateSize { get; init; }
    public int MaxPositions { get; init; } = 512;
    /// <summary>0 = no token-type embeddings (DistilBERT; DeBERTa-v3).</summary>
    public int TypeVocabSize { get; init; } = 2;
    public double HiddenDropout { get; init; } = 0.1;
    public double AttentionDropout { get; init; } = 0.1;
    public double LayerNormEps { get; init; } = 1e-12;
    /// <summary>hidden_act (DistilBERT: activation): gelu, gelu_new or relu.</summary>
    public string Activation { get; init; } = "gelu";
    public int PadTokenId { get; init; }
    /// <summary>Width of the token embeddings when it differs from the hidden size (ELECTRA's embedding_size); null = hidden size.</summary>
    public int? EmbeddingSize { get; init; }
    /// <summary>Dropout before the classification head (classifier_dropout; DistilBERT's seq_classif_dropout; DeBERTa's cls_dropout); null = hidden dropout.</summary>
    public double? ClassifierDropout { get; init; }
    /// <summary>The number of entries of id2label, when the config has one.</summary>
    public int? NumLabels { get; init; }
    /// <summary>id2label's names in id order, when the config has them.</summary>
    public IReadOnlyList<string>? LabelNames { get; init; }

    // DeBERTa-v2/v3 (names and defaults as DebertaV2Config and the modelling code's getattr fallbacks).
    public bool RelativeAttention { get; init; }
    /// <summary>max_relative_positions; below 1 means max_position_embeddings.</summary>
    public int MaxRelativePositions { get; init; } = -1;
    /// <summary>position_buckets; 0 or below means no log-bucketing.</summary>
    public int PositionBuckets { get; init; } = -1;
    /// <summary>pos_att_type: any of "c2p" and "p2c".</summary>
    public IReadOnlyList<string> PosAttType { get; init; } = [];
    /// <summary>norm_rel_ebd: "layer_norm" puts a LayerNorm on the relative embeddings.</summary>
    public string NormRelEmbedding { get; init; } = "none";
    public bool ShareAttentionKey { get; init; }
    /// <summary>Absolute position embeddings added to the input (false for DeBERTa-v3).</summary>
    public bool PositionBiasedInput { get; init; } = true;
    /// <summary>conv_kernel_size: above 0, DeBERTa-v2's convolution beside the first layer.</summary>
    public int ConvKernelSize { get; init; }
    public string ConvActivation { get; init; } = "tanh";
    public int ConvGroups { get; init; } = 1;
    /// <summary>pooler_hidden_size: the width of DeBERTa's ContextPooler; null = hidden size.</summary>
    public int? PoolerHiddenSize { get; init; }
    public double PoolerDropout { get; init; }
    public string PoolerActivation { get; init; } = "gelu";

    /// <summary>The embedding width (embedding_size, else hidden_size).</summary>
    public int EmbeddingWidth => EmbeddingSize ?? HiddenSize;
    /// <summary>max_relative_positions, or max_position_embeddings when it is unset (below 1).</summary>
    public int EffectiveMaxRelativePositions => MaxRelativePositions < 1 ? MaxPositions : MaxRelativePositions;
    /// <summary>The attention span of relative positions: position_buckets when bucketing, else max_relative_positions.</summary>
    public int RelativeAttentionSpan => PositionBuckets > 0 ? PositionBuckets : EffectiveMaxRelativePositions;
    public bool UsesLayerNormOnRelativeEmbeddings => NormRelEmbedding.Split('|').Select(s => s.Trim().ToLowerInvariant()).Contains("layer_norm");

    /// <summary>
    /// The longest input in tokens (special tokens included) the position embeddings cover:
    /// max_position_embeddings, less RoBERTa's offset (its position ids start after pad_token_id, as in
    /// transformers' create_position_ids_from_input_ids, so 514 positions hold 512 tokens).
    /// </summary>
    public int MaxInputTokens => MaxPositions - (Family == BackboneFamily.Roberta ? PadTokenId + 1 : 0);

    /// <summary>
    /// The one sequence length (tokens) a backbone's max_sequence_length becomes on this checkpoint: the
    /// smaller of the two. Trials, the final model, the ensemble and `sweep predict` all use this value.
    /// </summary>
    public int EffectiveSequenceLength(int requested) => Math.Min(requested, MaxInputTokens);

    /// <summary>The family a model_type belongs to (config.json's model_type → the study's backbone family).</summary>
    public BackboneFamily Family => FamilyOf(ModelType);

    /// <summary>
    /// A trial's single training dropout applied to the hidden and attention dropout (and the relative-position
    /// dropout, which follows the hidden one). A head dropout the config sets explicitly is kept; one it leaves
    /// unset follows the hidden dropout, as in Hugging Face.
    /// </summary>
    public BackboneConfig WithDropout(double dropout)
    {
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1)");
        return this with { HiddenDropout = dropout, AttentionDropout = dropout };
    }

    public static BackboneFamily FamilyOf(string modelType) => modelType switch
    {
        "bert" => BackboneFamily.Bert,
        "distilbert" => BackboneFamily.DistilBert,
        "roberta" => BackboneFamily.Roberta,
        "electra" => BackboneFamily.Electra,
        "deberta-v2" => BackboneFamily.DebertaV2,
        _ => throw new InvalidDataException(UnknownType(modelType)),
    };

    private static string UnknownType(string type) =>
        $"model_type '{type}' is not supported (supported: bert, distilbert, roberta, electra, deberta-v2" +
        (type == "deberta" ? "; DeBERTa v1 has a different attention and is not implemented" : "") + ")";

    public static BackboneConfig Load(string checkpointFolder)
    {
        var path = Path.Combine(checkpointFolder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{checkpointFolder}: no config.json (the checkpoint's architecture)", path);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return Parse(json.RootElement, path);
    }

    public static BackboneConfig Parse(string json, string source = "config.json")
    {
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, source);
    }

    public static BackboneConfig Parse(JsonElement c, string source = "config.json")
    {
        if (c.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: not a JSON object");
        bool Has(string name, JsonValueKind kind) => c.TryGetProperty(name, out var v) && v.ValueKind == kind;
        int Int(string name, int? fallback = null) => Has(name, JsonValueKind.Number)
            ? c.GetProperty(name).GetInt32()
            : fallback ?? throw new InvalidDataException($"{source}: '{name}' is missing");
        int? OptionalInt(string name) => Has(name, JsonValueKind.Number) ? c.GetProperty(name).GetInt32() : null;
        double Number(string name, double fallback) => Has(name, JsonValueKind.Number) ? c.GetProperty(name).GetDouble() : fallback;
        double? OptionalNumber(string name) => Has(name, JsonValueKind.Number) ? c.GetProperty(name).GetDouble() : null;
        string Text(string name, string fallback) => Has(name, JsonValueKind.String) ? c.GetProperty(name).GetString()! : fallback;
        bool Flag(string name, bool fallback) => c.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

        IReadOnlyList<string>? labelNames = null;
        if (Has("id2label", JsonValueKind.Object))
        {
            var entries = c.GetProperty("id2label").EnumerateObject()
                .Select(p => (Id: int.TryParse(p.Name, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : -1, Name: p.Value.ToString()))
                .ToList();
            if (entries.Any(e => e.Id < 0)) throw new InvalidDataException($"{source}: id2label keys must be integers");
            labelNames = entries.OrderBy(e => e.Id).Select(e => e.Name).ToList();
        }
        var numLabels = OptionalInt("num_labels") ?? labelNames?.Count;

        var type = Text("model_type", "");
        // BERT's config names, which RoBERTa, ELECTRA and DeBERTa-v2 share.
        BackboneConfig BertNames(double layerNormEps, int typeVocabulary) => new()
        {
            ModelType = type,
            VocabSize = Int("vocab_size"),
            HiddenSize = Int("hidden_size"),
            Layers = Int("num_hidden_layers"),
            Heads = Int("num_attention_heads"),
            IntermediateSize = Int("intermediate_size"),
            MaxPositions = Int("max_position_embeddings", 512),
            TypeVocabSize = Int("type_vocab_size", typeVocabulary),
            HiddenDropout = Number("hidden_dropout_prob", 0.1),
            AttentionDropout = Number("attention_probs_dropout_prob", 0.1),
            LayerNormEps = Number("layer_norm_eps", layerNormEps),
            Activation = Text("hidden_act", "gelu"),
        };
        var config = type switch
        {
            "bert" or "roberta" or "electra" => BertNames(1e-12, typeVocabulary: 2) with
            {
                PadTokenId = Int("pad_token_id", type == "roberta" ? 1 : 0),
                EmbeddingSize = type == "electra" ? OptionalInt("embedding_size") : null,
                ClassifierDropout = OptionalNumber("classifier_dropout"),
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
            },
            "deberta-v2" => BertNames(1e-7, typeVocabulary: 0) with
            {
                PadTokenId = Int("pad_token_id", 0),
                EmbeddingSize = OptionalInt("embedding_size"),
                ClassifierDropout = OptionalNumber("cls_dropout"),
                RelativeAttention = Flag("relative_attention", false),
                MaxRelativePositions = Int("max_relative_positions", -1),
                PositionBuckets = Int("position_buckets", -1),
                PosAttType = PositionAttentionTypes(c, source),
                NormRelEmbedding = Text("norm_rel_ebd", "none"),
                ShareAttentionKey = Flag("share_att_key", false),
                PositionBiasedInput = Flag("position_biased_input", true),
                ConvKernelSize = Int("conv_kernel_size", 0),
                ConvActivation = Text("conv_act", "tanh"),
                ConvGroups = Int("conv_groups", 1),
                PoolerHiddenSize = OptionalInt("pooler_hidden_size"),
                PoolerDropout = Number("pooler_dropout", 0),
                PoolerActivation = Text("pooler_hidden_act", "gelu"),
            },
            "" => throw new InvalidDataException($"{source}: 'model_type' is missing"),
            _ => throw new InvalidDataException($"{source}: {UnknownType(type)}"),
        };
        return (config with { NumLabels = numLabels, LabelNames = labelNames }).Validated(source);
    }

    /// <summary>pos_att_type as a list (["p2c", "c2p"]) or as DeBERTa-v3's "p2c|c2p".</summary>
    private static IReadOnlyList<string> PositionAttentionTypes(JsonElement c, string source)
    {
        if (!c.TryGetProperty("pos_att_type", out var v) || v.ValueKind == JsonValueKind.Null) return [];
        IEnumerable<string> raw = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!.Split('|'),
            JsonValueKind.Array => v.EnumerateArray().Select(e => e.GetString() ?? ""),
            _ => throw new InvalidDataException($"{source}: 'pos_att_type' must be a list or a '|'-separated string"),
        };
        var types = raw.Select(s => s.Trim().ToLowerInvariant()).Where(s => s.Length > 0).ToList();
        var unknown = types.Where(t => t is not ("c2p" or "p2c")).ToList();
        if (unknown.Count > 0) throw new InvalidDataException($"{source}: pos_att_type {string.Join(", ", unknown)} is not supported (c2p, p2c)");
        return types;
    }

    /// <summary>Checks the sizes that would otherwise fail deep inside a forward pass.</summary>
    public BackboneConfig Validated(string source = "config")
    {
        if (VocabSize < 1 || HiddenSize < 1 || Layers < 1 || Heads < 1 || IntermediateSize < 1 || MaxPositions < 1)
            throw new InvalidDataException($"{source}: sizes must be positive (vocab {VocabSize}, hidden {HiddenSize}, layers {Layers}, heads {Heads}, intermediate {IntermediateSize}, positions {MaxPositions})");
        if (HiddenSize % Heads != 0)
            throw new InvalidDataException($"{source}: hidden size {HiddenSize} is not a multiple of the number of attention heads {Heads}");
        if (EmbeddingSize is < 1) throw new InvalidDataException($"{source}: embedding_size must be positive, got {EmbeddingSize}");
        if (PadTokenId < 0 || PadTokenId >= VocabSize) throw new InvalidDataException($"{source}: pad_token_id {PadTokenId} is outside the vocabulary of {VocabSize}");
        _ = Activations.Check(Activation, source);
        if (ModelType == "deberta-v2")
        {
            _ = Activations.Check(PoolerActivation, source);
            if (ConvKernelSize > 0)
            {
                _ = Activations.Check(ConvActivation, source);
                if (ConvKernelSize % 2 == 0) throw new InvalidDataException($"{source}: conv_kernel_size {ConvKernelSize} must be odd to keep the sequence length");
                if (ConvGroups < 1 || HiddenSize % ConvGroups != 0) throw new InvalidDataException($"{source}: conv_groups {ConvGroups} must divide hidden_size {HiddenSize}");
            }
            if (PoolerHiddenSize is not null && PoolerHiddenSize != HiddenSize)
                throw new InvalidDataException($"{source}: pooler_hidden_size {PoolerHiddenSize} differs from hidden_size {HiddenSize}; the pooler reads the first token's hidden state, so they must match");
        }
        return this;
    }
}
