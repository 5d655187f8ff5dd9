using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Models;

/// <summary>
/// One backbone of a study as Training reads it (the study file's <c>backbones:</c> entry, same names): the
/// checkpoint its trials fine-tune, its declared family and the longest input. Nothing is checked here:
/// loading (<see cref="Data.PreparedData.Load"/>) refuses a missing checkpoint or a family its config.json
/// contradicts (InvalidDataException), and the preflight reports both.
/// </summary>
public sealed record BackboneSettings
{
    /// <summary>The name trials and reports use (unique in the study), e.g. "distilbert".</summary>
    public required string Name { get; init; }
    /// <summary>The architecture declared for the checkpoint; its config.json's model_type must agree.</summary>
    public required BackboneFamily Family { get; init; }
    /// <summary>Folder with config.json, the tokenizer files and the weights; null when the study names none (no training trial can run).</summary>
    public string? Checkpoint { get; init; }
    /// <summary>Longest input in tokens; cut to what the checkpoint's position embeddings hold (<see cref="BackboneConfig.EffectiveSequenceLength"/>).</summary>
    public int MaxSequenceLength { get; init; } = 128;
}
