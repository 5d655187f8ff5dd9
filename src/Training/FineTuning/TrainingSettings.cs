namespace SweepCluster.Training.FineTuning;

/// <summary>
/// The study file's <c>training:</c> settings that Training reads: what a trial uses for a setting its search
/// space does not search (<see cref="TrialHyperparameters.From"/>). Names and defaults are the study file's.
/// Nothing is checked here; <see cref="TrialHyperparameters.From"/> refuses an impossible value (ArgumentException).
/// </summary>
public sealed record TrainingSettings
{
    /// <summary>Epochs per fold (an upper bound: early stopping may end a fold sooner); at least 1.</summary>
    public int Epochs { get; init; } = 3;
    /// <summary>Epochs without a better validation metric after which a fold stops.</summary>
    public int EarlyStoppingPatience { get; init; } = 2;
    /// <summary>Training rows per optimiser micro-batch (before gradient accumulation); at least 1.</summary>
    public int BatchSize { get; init; } = 16;
}
