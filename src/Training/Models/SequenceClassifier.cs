using SweepCluster.Contracts.Studies;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

/// <summary>The classification model of a backbone family, built from its config.</summary>
public static class SequenceClassifier
{
    public static nn.Module<Tensor, Tensor, Tensor> Create(BackboneFamily family, BackboneConfig config, int labels) => family switch
    {
        BackboneFamily.Bert => new BertForSequenceClassification(config, labels),
        BackboneFamily.DistilBert => new DistilBertForSequenceClassification(config, labels),
        _ => throw new NotSupportedException($"backbone family {family} is not implemented yet (bert and distilbert are)"),
    };
}
