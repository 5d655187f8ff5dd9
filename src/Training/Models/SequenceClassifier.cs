using TorchSharp;
using static TorchSharp.torch;
using SweepCluster.Vocabulary;

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
        BackboneFamily.DebertaV2 => new DebertaV2ForSequenceClassification(config, labels),
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown backbone family"),
    };
}
