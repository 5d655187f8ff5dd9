using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// Blocks shared by the families. Field names are the Hugging Face names (TorchSharp's RegisterComponents
// names each submodule after its field), so the BERT-style encoder below serves BERT, RoBERTa and ELECTRA
// as it does in transformers, and DeBERTa-v2 reuses its output blocks. No block modifies in place a tensor
// that takes part in the gradient.

/// <summary>
/// A sequence classifier: <c>forward(input_ids, attention_mask) → logits [batch, labels]</c>, and its
/// parameters grouped by depth for layer-wise learning-rate decay.
/// </summary>
public abstract partial class SequenceClassificationModel : nn.Module<Tensor, Tensor, Tensor>
{
    protected SequenceClassificationModel(string name, string backbonePrefix, int layers, int labels) : base(name)
    {
        if (labels < 1) throw new ArgumentOutOfRangeException(nameof(labels), labels, "a classifier needs at least one output");
        BackbonePrefix = backbonePrefix;
        Layers = layers;
        Labels = labels;
    }

    /// <summary>The key prefix of the backbone: bert, distilbert, roberta, electra, deberta.</summary>
    public string BackbonePrefix { get; }
    /// <summary>The number of encoder layers L.</summary>
    public int Layers { get; }
    public int Labels { get; }
    /// <summary>The depth of the task head: L + 1.</summary>
    public int HeadDepth => Layers + 1;

    /// <summary>
    /// 0 for the embeddings (and the backbone's other parameters below or beside the layers: ELECTRA's
    /// embeddings_project, DeBERTa's relative embeddings and their LayerNorm), i + 1 for encoder layer i,
    /// L + 1 for the head (and BERT's pooler, which only the head uses).
    /// </summary>
    public int DepthOf(string parameterName)
    {
        var prefix = BackbonePrefix + ".";
        if (!parameterName.StartsWith(prefix, StringComparison.Ordinal)) return HeadDepth;
        var layer = LayerIndex().Match(parameterName, prefix.Length);
        if (layer.Success && layer.Index == prefix.Length)
            return int.Parse(layer.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1;
        return parameterName.StartsWith(prefix + "pooler.", StringComparison.Ordinal) ? HeadDepth : 0;
    }

    /// <summary>Every parameter, grouped by <see cref="DepthOf"/>, shallowest first (depths 0 … L + 1, none empty).</summary>
    public IReadOnlyList<ParameterGroup> ParameterGroupsByDepth() =>
        named_parameters()
            .Select(p => (Depth: DepthOf(p.name), p.name, p.parameter))
            .GroupBy(p => p.Depth)
            .OrderBy(g => g.Key)
            .Select(g => new ParameterGroup(g.Key, g.Select(p => new NamedParameter(p.name, p.parameter)).ToList()))
            .ToList();

    [GeneratedRegex(@"\G(?:encoder|transformer)\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();
}

public sealed record NamedParameter(string Name, Parameter Parameter);

/// <summary>The parameters at one depth: 0 = embeddings, i + 1 = encoder layer i, L + 1 = head.</summary>
public sealed record ParameterGroup(int Depth, IReadOnlyList<NamedParameter> Parameters);

/// <summary>Scaled dot-product multi-head attention shared by the BERT-style families (their projections differ only in name).</summary>
internal static class AttentionMath
{
    /// <summary>[batch, seq] 1/0 mask → [batch, 1, 1, seq]: (1 − mask) × a large negative, so padded keys get no weight.</summary>
    public static Tensor AdditiveMask(Tensor attentionMask) => (1 - attentionMask.unsqueeze(1).unsqueeze(2).to(float32)) * -1e9f;

    /// <summary>[batch, seq, heads·d] → [batch, heads, seq, d].</summary>
    public static Tensor SplitHeads(Tensor x, int heads) => x.view(x.shape[0], x.shape[1], heads, -1).transpose(1, 2);

    /// <summary>[batch, heads, seq, d] → [batch, seq, heads·d].</summary>
    public static Tensor MergeHeads(Tensor x) => x.transpose(1, 2).contiguous().view(x.shape[0], x.shape[2], -1);

    /// <summary>
    /// softmax(QKᵀ/√d + mask)·V over <paramref name="heads"/> heads, merged back to [batch, seq, hidden], with
    /// dropout on the attention weights while training. libtorch's fused kernel computes it (flash or
    /// memory-efficient attention on GPUs) rather than four separate operations.
    /// </summary>
    public static Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor additiveMask, int heads, Dropout dropout)
    {
        var q = SplitHeads(query, heads);
        var attended = nn.functional.scaled_dot_product_attention(q, SplitHeads(key, heads), SplitHeads(value, heads),
            additiveMask.to(q.dtype), dropout.training ? dropout.p : 0);
        return MergeHeads(attended);
    }
}

/// <summary>The activations config.json names.</summary>
public static class Activations
{
    public static Tensor Apply(string name, Tensor x) => Check(name) switch
    {
        "gelu" => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(x, approximate: GELU.Approximate.tanh),
        "relu" => nn.functional.relu(x),
        "tanh" => x.tanh(),
        _ => throw new InvalidOperationException(name),
    };

    /// <summary>The name when supported, else an error naming it.</summary>
    public static string Check(string name, string source = "config") => name is "gelu" or "gelu_new" or "gelu_pytorch_tanh" or "relu" or "tanh"
        ? name
        : throw new InvalidDataException($"{source}: activation '{name}' is not supported (gelu, gelu_new, relu, tanh)");
}

/// <summary>
/// Word + position + token-type embeddings, LayerNorm and dropout (BERT, RoBERTa, ELECTRA), at the
/// embedding width (ELECTRA's embedding_size). RoBERTa numbers positions from padding_idx + 1 over
/// non-pad tokens; the others from 0.
/// </summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;
    private readonly bool _robertaPositions;
    private readonly int _padTokenId;

    public BertEmbeddings(BackboneConfig config, bool robertaPositions = false) : base("embeddings")
    {
        var width = config.EmbeddingWidth;
        _robertaPositions = robertaPositions;
        _padTokenId = config.PadTokenId;
        word_embeddings = nn.Embedding(config.VocabSize, width, padding_idx: config.PadTokenId);
        position_embeddings = robertaPositions
            ? nn.Embedding(config.MaxPositions, width, padding_idx: config.PadTokenId)
            : nn.Embedding(config.MaxPositions, width);
        token_type_embeddings = nn.Embedding(Math.Max(config.TypeVocabSize, 1), width);
        LayerNorm = nn.LayerNorm(width, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var positions = _robertaPositions
            ? RobertaPositions.FromInputIds(ids, _padTokenId)
            : arange(ids.shape[1], dtype: int64, device: ids.device).unsqueeze(0);
        var types = zeros_like(ids);
        var sum = word_embeddings.forward(ids) + position_embeddings.forward(positions) + token_type_embeddings.forward(types);
        return dropout.forward(LayerNorm.forward(sum));
    }
}

/// <summary>Multi-head self-attention (query/key/value projections) with an additive padding mask.</summary>
public sealed class BertSelfAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear query;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Dropout dropout;
    private readonly int _heads;

    public BertSelfAttention(BackboneConfig config) : base("self")
    {
        if (config.HiddenSize % config.Heads != 0)
            throw new InvalidDataException($"hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.Heads}");
        _heads = config.Heads;
        query = nn.Linear(config.HiddenSize, config.HiddenSize);
        key = nn.Linear(config.HiddenSize, config.HiddenSize);
        value = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionDropout);
        RegisterComponents();
    }

    /// <param name="additiveMask">[batch, 1, 1, seq]: 0 where attended, a large negative where padded.</param>
    public override Tensor forward(Tensor hidden, Tensor additiveMask) =>
        AttentionMath.Attend(query.forward(hidden), key.forward(hidden), value.forward(hidden), additiveMask, _heads, dropout);
}

/// <summary>A dense projection, dropout, and a residual LayerNorm: the "output" blocks of BERT and DeBERTa.</summary>
public sealed class BertResidualOutput : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertResidualOutput(int inputSize, BackboneConfig config) : base("output")
    {
        dense = nn.Linear(inputSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input, Tensor residual) => LayerNorm.forward(dropout.forward(dense.forward(input)) + residual);
}

public sealed class BertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertSelfAttention self;
    private readonly BertResidualOutput output;

    public BertAttention(BackboneConfig config) : base("attention")
    {
        self = new BertSelfAttention(config);
        output = new BertResidualOutput(config.HiddenSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask) => output.forward(self.forward(hidden, mask), hidden);
}

/// <summary>The feed-forward's first half: dense to the intermediate size, then the activation.</summary>
public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string _activation;

    public BertIntermediate(BackboneConfig config) : base("intermediate")
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = Activations.Check(config.Activation);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden) => Activations.Apply(_activation, dense.forward(hidden));
}

public sealed class BertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertAttention attention;
    private readonly BertIntermediate intermediate;
    private readonly BertResidualOutput output;

    public BertLayer(BackboneConfig config) : base("layer")
    {
        attention = new BertAttention(config);
        intermediate = new BertIntermediate(config);
        output = new BertResidualOutput(config.IntermediateSize, config);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask)
    {
        var attended = attention.forward(hidden, mask);
        return output.forward(intermediate.forward(attended), attended);
    }
}

/// <summary>encoder.layer.N: the BERT encoder, also RoBERTa's and ELECTRA's.</summary>
public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(BackboneConfig config) : base("encoder")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    /// <param name="attentionMask">[batch, seq] 1 = token, 0 = padding.</param>
    public override Tensor forward(Tensor hidden, Tensor attentionMask)
    {
        var additive = AttentionMath.AdditiveMask(attentionMask);
        foreach (var l in layer) hidden = l.forward(hidden, additive);
        return hidden;
    }
}

/// <summary>
/// The head of RoBERTa and ELECTRA, named <c>classifier</c>: first token → dropout → dense → activation
/// (tanh for RoBERTa, gelu for ELECTRA) → dropout → out_proj.
/// </summary>
public sealed class ClassificationHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Dropout dropout;
    private readonly Linear out_proj;
    private readonly string _activation;

    public ClassificationHead(BackboneConfig config, int labels, string activation) : base("classifier")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropout);
        out_proj = nn.Linear(config.HiddenSize, labels);
        _activation = Activations.Check(activation);
        RegisterComponents();
    }

    /// <param name="hidden">[batch, seq, hidden]: every position's hidden state.</param>
    public override Tensor forward(Tensor hidden)
    {
        var x = dropout.forward(hidden.select(1, 0));
        x = Activations.Apply(_activation, dense.forward(x));
        return out_proj.forward(dropout.forward(x));
    }
}
