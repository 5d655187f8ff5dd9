using SweepCluster.Contracts.Studies;
using SweepCluster.Training.Data;
using SweepCluster.Training.Models;
using SweepCluster.Training.Tokenization;

namespace SweepCluster.Worker.Training;

/// <summary>
/// What `sweep submit` checks of a training study before anything is stored, so a mistake every trial
/// would hit (a missing column, an unknown label, a checkpoint without weights, a family that does not
/// match its config) is one clear error at the door instead of a budget of failed trials.
/// </summary>
public static class StudyPreflight
{
    /// <summary>The problems found, each naming its file, column or folder; empty when the study can run.</summary>
    public static IReadOnlyList<string> Problems(StudySpec spec)
    {
        var problems = new List<string>();
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
            var (dataset, splits) = PreparedData.LoadSplits(spec);
            if (spec.Final.Retrain && splits.HeldOut.Length == 0)
                problems.Add($"final.retrain scores the final models and the ensemble on held-out rows, but data.holdout_fraction {spec.Data.HoldoutFraction} holds out none of {dataset.Count} rows");
        });
        if (spec.Data.Test is { } test) Check(() => UnlabelledTexts.Load(test, spec.Data.TextColumn, spec.Data.IdColumn, spec.Data.Delimiter));
        foreach (var backbone in spec.Backbones)
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
            });
        }
        return problems;
    }
}
