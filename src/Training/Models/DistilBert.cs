using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// DistilBERT for sequence classification, with the Hugging Face key names
// (distilbert.embeddings.*, distilbert.transformer.layer.N.attention.q_lin, …, pre_classifier, classifier).

public sealed class DistilBertEmbeddings : nn.Module<Tensor, Tensor>
{
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly Dropout dropout;

    public DistilBertEmbeddings(BackboneConfig config) : base("embeddings")
    {
        word_embeddings = nn.Embedding(config.VocabSize, config.HiddenSize, padding_idx: config.PadTokenId);
        position_embeddings = nn.Embedding(config.MaxPositions, config.HiddenSize);
        LayerNorm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        dropout = nn.Dropout(config.HiddenDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids)
    {
        var positions = arange(ids.shape[1], device: ids.device).unsqueeze(0);
        return dropout.forward(LayerNorm.forward(word_embeddings.forward(ids) + position_embeddings.forward(positions)));
    }
}

/// <summary>Multi-head self-attention with DistilBERT's projection names (q_lin, k_lin, v_lin, out_lin).</summary>
public sealed class DistilBertAttention : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Linear q_lin;
    private readonly Linear k_lin;
    private readonly Linear v_lin;
    private readonly Linear out_lin;
    private readonly Dropout dropout;
    private readonly int _heads;

    public DistilBertAttention(BackboneConfig config) : base("attention")
    {
        _heads = config.Heads;
        q_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        k_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        v_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        out_lin = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.AttentionDropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor additiveMask) =>
        out_lin.forward(AttentionMath.Attend(q_lin.forward(hidden), k_lin.forward(hidden), v_lin.forward(hidden), additiveMask, _heads, dropout));
}

public sealed class DistilBertFeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Linear lin1;
    private readonly Linear lin2;
    private readonly Dropout dropout;
    private readonly string _activation;

    public DistilBertFeedForward(BackboneConfig config) : base("ffn")
    {
        lin1 = nn.Linear(config.HiddenSize, config.IntermediateSize);
        lin2 = nn.Linear(config.IntermediateSize, config.HiddenSize);
        dropout = nn.Dropout(config.HiddenDropout);
        _activation = Activations.Check(config.Activation);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => dropout.forward(lin2.forward(Activations.Apply(_activation, lin1.forward(x))));
}

public sealed class DistilBertLayer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly DistilBertAttention attention;
    private readonly LayerNorm sa_layer_norm;
    private readonly DistilBertFeedForward ffn;
    private readonly LayerNorm output_layer_norm;

    public DistilBertLayer(BackboneConfig config) : base("layer")
    {
        attention = new DistilBertAttention(config);
        sa_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        ffn = new DistilBertFeedForward(config);
        output_layer_norm = nn.LayerNorm(config.HiddenSize, config.LayerNormEps);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask)
    {
        var attended = sa_layer_norm.forward(attention.forward(hidden, mask) + hidden);
        return output_layer_norm.forward(ffn.forward(attended) + attended);
    }
}

public sealed class DistilBertTransformer : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<DistilBertLayer> layer;

    public DistilBertTransformer(BackboneConfig config) : base("transformer")
    {
        layer = nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new DistilBertLayer(config)).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden, Tensor mask)
    {
        foreach (var l in layer) hidden = l.forward(hidden, mask);
        return hidden;
    }
}

public sealed class DistilBertModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly DistilBertEmbeddings embeddings;
    private readonly DistilBertTransformer transformer;

    public DistilBertModel(BackboneConfig config) : base("distilbert")
    {
        embeddings = new DistilBertEmbeddings(config);
        transformer = new DistilBertTransformer(config);
        RegisterComponents();
    }

    /// <summary>Every position's hidden state.</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask)
    {
        return transformer.forward(embeddings.forward(ids), AttentionMath.AdditiveMask(attentionMask));
    }
}

/// <summary>DistilBertForSequenceClassification: [CLS] → pre_classifier → ReLU → dropout → classifier.</summary>
public sealed class DistilBertForSequenceClassification : SequenceClassificationModel
{
    private readonly DistilBertModel distilbert;
    private readonly Linear pre_classifier;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public DistilBertForSequenceClassification(BackboneConfig config, int labels) : base("DistilBertForSequenceClassification", "distilbert", config.Layers, labels)
    {
        distilbert = new DistilBertModel(config);
        pre_classifier = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropout);
        classifier = nn.Linear(config.HiddenSize, labels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor attentionMask)
    {
        var first = distilbert.forward(ids, attentionMask).select(1, 0);
        return classifier.forward(dropout.forward(nn.functional.relu(pre_classifier.forward(first))));
    }
}
