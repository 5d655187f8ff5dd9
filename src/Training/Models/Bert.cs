using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// BERT for sequence classification. Field names mirror the Hugging Face checkpoint keys
// (bert.embeddings.word_embeddings.weight, bert.encoder.layer.0.attention.self.query.weight, …,
// bert.pooler.dense.weight, classifier.weight), so a state dict loads by name with no translation table.
// The embeddings and the encoder are the shared blocks (SharedBlocks.cs).

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

    /// <summary>
    /// The encoder's last hidden state [batch, length, hidden] for token ids [batch, length] and a 0/1 attention mask
    /// [batch, length] (token types all 0): Hugging Face's BertModel last_hidden_state.
    /// </summary>
    public Tensor LastHiddenState(Tensor ids, Tensor attentionMask) => encoder.forward(embeddings.forward(ids), attentionMask);

    /// <summary>The pooled [CLS] representation [batch, hidden].</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask) => pooler.forward(encoder.forward(embeddings.forward(ids), attentionMask));
}

/// <summary>BertForSequenceClassification: pooled [CLS] (tanh) → dropout → classifier.</summary>
public sealed class BertForSequenceClassification : SequenceClassificationModel
{
    private readonly BertModel bert;
    private readonly Dropout dropout;
    private readonly Linear classifier;

    public BertForSequenceClassification(BackboneConfig config, int labels) : base("BertForSequenceClassification", "bert", config.Layers, labels)
    {
        bert = new BertModel(config);
        dropout = nn.Dropout(config.ClassifierDropout ?? config.HiddenDropout);
        classifier = nn.Linear(config.HiddenSize, labels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor attentionMask) => classifier.forward(dropout.forward(bert.forward(ids, attentionMask)));
}
