using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// BERT for sequence classification. Field names mirror the Hugging Face checkpoint keys
// (bert.embeddings.word_embeddings.weight, bert.encoder.layer.0.attention.self.query.weight, …,
// classifier.weight), so a state dict loads by name with no translation table.

/// <summary>Word + position + token-type embeddings, then LayerNorm and dropout.</summary>
public sealed class BertEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public BertEmbeddings(BackboneConfig config) : base("embeddings")
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositions, config.HiddenSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var positions = arange(ids.shape[1], device: ids.device).unsqueeze(0);
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

/// <summary>A dense projection, dropout, and a residual LayerNorm: BERT's "output" blocks.</summary>
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

public sealed class BertIntermediate : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly string _activation;

    public BertIntermediate(BackboneConfig config) : base("intermediate")
    {
        dense = nn.Linear(config.HiddenSize, config.IntermediateSize);
        _activation = config.Activation;
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

public sealed class BertEncoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<BertLayer> layer;

    public BertEncoder(BackboneConfig config) : base("encoder")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new BertLayer(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask)
    {
        foreach (var l in layer) hidden = l.forward(hidden, mask);
        return hidden;
    }
}

public sealed class BertPooler : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;

    public BertPooler(BackboneConfig config) : base("pooler")
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        RegisterComponents();
    }

    /// <summary>tanh(dense(hidden state of [CLS])).</summary>
    public override Tensor forward(Tensor hidden) => dense.forward(hidden.select(1, 0)).tanh();
}

public sealed class BertModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;
    private readonly BertPooler pooler;

    public BertModel(BackboneConfig config) : base("bert")
    {
        embeddings = new BertEmbeddings(config);
        encoder = new BertEncoder(config);
        pooler = new BertPooler(config);
        RegisterComponents();
    }

    /// <summary>The pooled [CLS] representation.</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask)
    {
        return pooler.forward(encoder.forward(embeddings.forward(ids), AttentionMath.AdditiveMask(attentionMask)));
    }
}

/// <summary>BertForSequenceClassification: pooled [CLS] → dropout → classifier.</summary>
public sealed class BertForSequenceClassification : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public BertForSequenceClassification(BackboneConfig config, int labels) : base("BertForSequenceClassification")
    {
        bert = new BertModel(config);
        dropout = nn.Dropout(config.HiddenDropout);
        classifier = nn.Linear(config.HiddenSize, labels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor attentionMask) => classifier.forward(dropout.forward(bert.forward(ids, attentionMask)));
}

/// <summary>The activations config.json names.</summary>
public static class Activations
{
    public static Tensor Apply(string name, Tensor x) => name switch
    {
        "gelu" => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" => nn.functional.gelu(x, approximate: GELU.Approximate.tanh),
        "relu" => nn.functional.relu(x),
        _ => throw new InvalidDataException($"activation '{name}' is not supported (gelu, gelu_new, relu)"),
    };
}
