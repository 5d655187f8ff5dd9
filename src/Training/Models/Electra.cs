using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// ELECTRA discriminator for sequence classification: embeddings at embedding_size under
// "electra.embeddings", "electra.embeddings_project" up to hidden_size when the two differ, BERT's encoder
// under "electra.encoder", and the head classifier.dense (gelu) → classifier.out_proj on [CLS].

public sealed class ElectraModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly Linear? embeddings_project;
    private readonly BertEncoder encoder;

    public ElectraModel(BackboneConfig config) : base("electra")
    {
        embeddings = new BertEmbeddings(config);
        if (config.EmbeddingWidth != config.HiddenSize) embeddings_project = nn.Linear(config.EmbeddingWidth, config.HiddenSize);
        encoder = new BertEncoder(config);
        RegisterComponents();
    }

    /// <summary>Every position's hidden state [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask)
    {
        var embedded = embeddings.forward(ids);
        if (embeddings_project is not null) embedded = embeddings_project.forward(embedded);
        return encoder.forward(embedded, attentionMask);
    }
}

/// <summary>ElectraForSequenceClassification: [CLS] → dropout → dense → gelu → dropout → out_proj.</summary>
public sealed class ElectraForSequenceClassification : SequenceClassificationModel
{
    private readonly ElectraModel electra;
    private readonly ClassificationHead classifier;

    public ElectraForSequenceClassification(BackboneConfig config, int labels) : base("ElectraForSequenceClassification", "electra", config.Layers, labels)
    {
        electra = new ElectraModel(config);
        classifier = new ClassificationHead(config, labels, "gelu");
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor attentionMask) => classifier.forward(electra.forward(ids, attentionMask));
}
