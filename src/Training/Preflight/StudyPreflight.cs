using System.Globalization;
using SweepCluster.Search.Space;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Tokenization;

namespace SweepCluster.Training.Preflight;

/// <summary>
/// What `sweep submit` checks of a training study before anything is stored, so a mistake every trial
/// would hit (a missing column, an unknown label, a checkpoint without weights, a family that does not
/// match its config) is one clear error at the door instead of a budget of failed trials.
/// </summary>
public static class StudyPreflight
{
    /// <summary>The problems found, each naming its file, column or folder; empty when the study can run.</summary>
    public static IReadOnlyList<string> Problems(TrainingStudy study, TrainingSettings training, IReadOnlyList<PreflightBackbone> backbones) =>
        Run(study, training, backbones).Problems;

    /// <summary>
    /// Problems (the study cannot run) and notes (it runs, but not quite as written: a max_sequence_length
    /// above what the checkpoint's position embeddings hold is cut to it, everywhere).
    /// </summary>
    public static PreflightResult Run(TrainingStudy study, TrainingSettings training, IReadOnlyList<PreflightBackbone> backbones)
    {
        // The checkpoint check builds the model (TorchSharp), as a trial would.
        SweepCluster.Training.Runtime.TorchRuntime.EnsureLoadable();
        var problems = new List<string>();
        var notes = new List<string>();
        var outputs = 2;
        void Check(Action action)
        {
            try
            {
                action();
            }
            catch (Exception e) when (e is DataFileException or InvalidDataException or IOException or ArgumentException or UnauthorizedAccessException)
            {
                problems.Add(e.Message);
            }
        }

        Check(() =>
        {
            var (dataset, splits) = PreparedData.LoadSplits(study);
            outputs = dataset.Targets.Outputs;
            if (study.FinalRetrain && splits.HeldOut.Length == 0)
                problems.Add($"final.retrain scores the final models and the ensemble on held-out rows, but data.holdout_fraction {study.Data.HoldoutFraction} holds out none of {dataset.Count} rows");
        });
        foreach (var (_, space) in backbones) SearchSpaceProblems(training, space, problems);
        if (study.Data.Test is { } test) Check(() => UnlabelledTexts.Load(test, study.Data.TextColumn, study.Data.IdColumn, study.Data.Delimiter));
        foreach (var backbone in backbones.Select(b => b.Backbone))
        {
            if (backbone.Checkpoint is not { } folder)
            {
                problems.Add($"backbones '{backbone.Name}': a training study needs a checkpoint folder");
                continue;
            }
            Check(() =>
            {
                var config = BackboneConfig.Load(folder);
                if (config.Family != backbone.Family)
                    throw new InvalidDataException($"backbone '{backbone.Name}' is declared {backbone.Family}, but {folder}/config.json is model_type '{config.ModelType}'");
                if (!File.Exists(Path.Combine(folder, "model.safetensors")) && !File.Exists(Path.Combine(folder, "pytorch_model.bin")))
                    throw new FileNotFoundException($"{folder}: no model.safetensors or pytorch_model.bin (the checkpoint's weights)");
                TokenizerLoader.Load(folder, backbone.Family);
                var length = config.EffectiveSequenceLength(backbone.MaxSequenceLength);
                if (length < backbone.MaxSequenceLength)
                    notes.Add($"backbones '{backbone.Name}': max_sequence_length {backbone.MaxSequenceLength} is cut to {length} tokens, all the checkpoint's position embeddings hold ({folder}/config.json max_position_embeddings {config.MaxPositions}); trials, the final model, the ensemble and predict use {length}");
                // Every key and shape, as a trial would load them, from the file's header: a checkpoint that
                // no trial could load (a renamed or missing tensor) is refused here.
                using var model = SequenceClassifier.Create(backbone.Family, config, outputs);
                CheckpointLoader.Check(model, folder);
            });
        }
        return new PreflightResult(problems, notes);
    }

    /// <summary>
    /// A searched name no training trial reads would be silently ignored, and a range whose end is an
    /// impossible setting (a learning rate of 0, a batch size of 0, a dropout of 1) fails the trials that
    /// draw it: both are refused, naming search_space.&lt;param&gt;. Each end of a numeric range and each
    /// categorical choice is tried alone through the trial's own rules.
    /// </summary>
    private static void SearchSpaceProblems(TrainingSettings training, SearchSpace space, List<string> problems)
    {
        foreach (var parameter in space.Parameters)
        {
            if (!TrialHyperparameters.Names.Contains(parameter.Name))
            {
                var known = string.Join(", ", TrialHyperparameters.Names);
                if (!problems.Any(p => p.Contains($"search_space.{parameter.Name}:", StringComparison.Ordinal)))
                    problems.Add($"search_space.{parameter.Name}: not a training setting, so every trial would ignore it (known: {known})");
                continue;
            }
            IEnumerable<object> ends = parameter.Distribution switch
            {
                FloatDistribution f => [f.Low, f.High],
                IntDistribution i => [i.Low, i.High],
                CategoricalDistribution c => c.Choices,
                _ => [],
            };
            foreach (var value in ends.Distinct())
            {
                try
                {
                    TrialHyperparameters.From(new Dictionary<string, object> { [parameter.Name] = value }, training);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
                {
                    var problem = $"search_space.{parameter.Name}: the value {Convert.ToString(value, CultureInfo.InvariantCulture)} is impossible for a trial: {e.Message}";
                    if (!problems.Contains(problem)) problems.Add(problem);
                }
            }
        }
    }
}

/// <summary>
/// A backbone as the preflight checks it: what its trials read, and its effective search space (the names and
/// ranges trials draw from), already parsed. Kept out of <see cref="BackboneSettings"/> because trials read
/// their drawn parameters, never the space.
/// </summary>
public sealed record PreflightBackbone(BackboneSettings Backbone, SearchSpace Space);

/// <summary>What <see cref="StudyPreflight.Run"/> found: problems refuse the study; notes are said and the study runs.</summary>
public sealed record PreflightResult(IReadOnlyList<string> Problems, IReadOnlyList<string> Notes);