using SweepCluster.Contracts.Studies;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Models;

/// <summary>The classification model of a backbone family, built from its config.</summary>
public static class SequenceClassifier
{
    public static SequenceClassificationModel Create(BackboneFamily family, BackboneConfig config, int labels) => family switch
    {
        BackboneFamily.Bert => new BertForSequenceClassification(config, labels),
        BackboneFamily.DistilBert => new DistilBertForSequenceClassification(config, labels),
        BackboneFamily.Roberta => new RobertaForSequenceClassification(config, labels),
        BackboneFamily.Electra => new ElectraForSequenceClassification(config, labels),
        _ => throw new NotSupportedException($"backbone family {family} is not implemented yet"),
    };
}
