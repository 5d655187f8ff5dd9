using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

// RoBERTa for sequence classification: BERT's embeddings and encoder under "roberta." (no pooler: the
// classification model is built without one), position ids counted from padding_idx + 1 over non-pad
// tokens, and the head classifier.dense (tanh) → classifier.out_proj on <s>.

public static class RobertaPositions
{
    /// <summary>
    /// create_position_ids_from_input_ids: padding_idx + the running count of non-pad tokens, and padding_idx
    /// itself at pad tokens ([0, 5, 6, 1, 1] with pad 1 → [2, 3, 4, 1, 1]).
    /// </summary>
    public static Tensor FromInputIds(Tensor ids, long paddingIdx)
    {
        var notPad = ids.ne(paddingIdx).to(int64);
        return notPad.cumsum(1) * notPad + paddingIdx;
    }
}

public sealed class RobertaModel : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly BertEmbeddings embeddings;
    private readonly BertEncoder encoder;

    public RobertaModel(BackboneConfig config) : base("roberta")
    {
        if (config.MaxPositions <= config.PadTokenId + 1)
            throw new InvalidDataException($"max_position_embeddings {config.MaxPositions} leaves no positions after padding_idx {config.PadTokenId}");
        embeddings = new BertEmbeddings(config, robertaPositions: true);
        encoder = new BertEncoder(config);
        RegisterComponents();
    }

    /// <summary>Every position's hidden state [batch, seq, hidden].</summary>
    public override Tensor forward(Tensor ids, Tensor attentionMask) => encoder.forward(embeddings.forward(ids), attentionMask);
}

/// <summary>RobertaForSequenceClassification: &lt;s&gt; → dropout → dense → tanh → dropout → out_proj.</summary>
public sealed class RobertaForSequenceClassification : SequenceClassificationModel
{
    private readonly RobertaModel roberta;
    private readonly ClassificationHead classifier;

    public RobertaForSequenceClassification(BackboneConfig config, int labels) : base("RobertaForSequenceClassification", "roberta", config.Layers, labels)
    {
        roberta = new RobertaModel(config);
        classifier = new ClassificationHead(config, labels, "tanh");
        RegisterComponents();
    }

    public override Tensor forward(Tensor ids, Tensor attentionMask) => classifier.forward(roberta.forward(ids, attentionMask));
}
