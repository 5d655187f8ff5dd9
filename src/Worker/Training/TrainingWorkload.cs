using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Worker.Workloads;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Worker.Training;

public sealed record TrainingWorkloadOptions
{
    /// <summary>Where trial artifacts (out-of-fold probabilities, fold summaries) are written; shared storage on a cluster.</summary>
    public required string ArtifactsRoot { get; init; }
    /// <summary>cuda, cpu, or auto (CUDA when available).</summary>
    public string Device { get; init; } = "auto";
    /// <summary>Intra-op threads of the CPU backend; 0 keeps TorchSharp's default (all cores).</summary>
    public int Threads { get; init; }
}

/// <summary>
/// Real fine-tuning of a leased trial: stratified k-fold cross-validation of the backbone's checkpoint with
/// the trial's parameters, the validation metric reported after every epoch of every fold (the pruner can
/// stop the trial at once), the mean over folds as the value, and the out-of-fold probabilities kept under
/// the artifacts folder for the ensemble.
/// </summary>
public sealed class TrainingWorkload : ITrialWorkload
{
    /// <summary>Steps of fold k are k·StepsPerFold + epoch, so every trial reports fold k's epoch e at the same step.</summary>
    public const int StepsPerFold = 1000;

    private readonly TrainingWorkloadOptions _options;
    private readonly ILogger _logger;
    private readonly PreparedDataCache _data;

    public TrainingWorkload(TrainingWorkloadOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _data = new PreparedDataCache(logger);
        Device = TrainingDevice.Resolve(options.Device);
        if (options.Threads > 0) set_num_threads(options.Threads);
    }

    public Device Device { get; }

    public async Task<TrialResult> RunAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        var backbone = spec.Backbones.FirstOrDefault(b => b.Name == assignment.Backbone);
        if (backbone is null) return new TrialResult.Failed($"study '{spec.Name}' has no backbone '{assignment.Backbone}'");
        if (backbone.Checkpoint is null) return new TrialResult.Failed($"backbone '{backbone.Name}' names no checkpoint folder");

        PreparedData data;
        TrialHyperparameters hp;
        try
        {
            data = _data.Get(assignment.StudyId, spec, backbone);
            hp = TrialHyperparameters.From(assignment.Params, spec.Training);
        }
        catch (Exception e) when (e is DataFileException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException)
        {
            // Bad data, a broken checkpoint or impossible parameters fail the same way on every retry.
            return new TrialResult.Failed(e.Message);
        }

        var label = $"{assignment.TrialKey}";
        var higherIsBetter = spec.Objective.Direction == ObjectiveDirection.Maximize;
        var reports = new List<StepValue>();
        var folds = new List<FoldSummary>();
        var outOfFold = new Dictionary<int, double[]>();
        // Mixed precision where it pays: bfloat16 tensor cores on CUDA; on CPUs without bf16 units it would be slower.
        var trainer = new FoldTrainer(_logger)
        {
            Precision = spec.Training.MixedPrecision && Device.type == DeviceType.CUDA ? TrainingPrecision.BFloat16Mixed : TrainingPrecision.Float32,
        };
        var trialSeed = unchecked(spec.Seed * 7919 + assignment.Number * 104729);
        ReportVerdict? stop = null;

        for (var k = 0; k < data.Splits.Folds.Count && stop is null; k++)
        {
            var fold = data.Splits.Folds[k];
            var (rows, targets, train) = data.Balancer.Apply(fold.Train, trialSeed + k);
            manual_seed(trialSeed + k);
            var config = hp.Dropout is { } dropout ? data.Config.WithDropout(dropout) : data.Config;
            FoldResult result;
            using (var model = SequenceClassifier.Create(backbone.Family, config, data.Dataset.Targets.Outputs))
            {
                var load = CheckpointLoader.Load(model, backbone.Checkpoint);
                if (k == 0 && load.NewlyInitialised.Count > 0)
                    _logger.LogInformation("{Trial}: new classification head initialised ({Keys}) on {Checkpoint}", label, string.Join(", ", load.NewlyInitialised), backbone.Checkpoint);
                var foldIndex = k;
                result = await trainer.RunAsync(model, Device, hp, spec.Objective.Metric, higherIsBetter, rows, targets, train, fold.Validation,
                    trialSeed + k, $"{label} fold {k + 1}/{data.Splits.Folds.Count}",
                    async epoch =>
                    {
                        var step = foldIndex * StepsPerFold + epoch.Epoch;
                        reports.Add(new StepValue(step, epoch.Metric));
                        var verdict = await reporter.ReportAsync(step, epoch.Metric, cancellationToken);
                        if (verdict == ReportVerdict.Continue) return true;
                        stop = verdict;
                        return false;
                    },
                    cancellationToken);
            }
            // Release the fold's native memory now rather than at the next GC: a long run must not grow.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (stop is not null) break;
            folds.Add(new FoldSummary(k, result.BestMetric, result.BestEpoch, result.EpochsRun));
            for (var i = 0; i < fold.Validation.Length; i++) outOfFold[fold.Validation[i]] = result.BestProbabilities[i];
        }
        if (stop is { } verdictStop) return new TrialResult.Stopped(verdictStop);

        var value = folds.Average(f => f.BestMetric);
        TrialArtifacts.Write(_options.ArtifactsRoot, assignment, data, hp, folds, outOfFold, value);
        _logger.LogInformation("{Trial}: {Metric} {Value:0.0000} (mean of {Folds} folds; best epochs {Epochs})",
            label, spec.Objective.Metric, value, folds.Count, string.Join(",", folds.Select(f => f.BestEpoch)));
        return new TrialResult.Completed(value, reports);
    }
}

/// <summary>One fold's outcome: its best validation metric, at which epoch, and how many epochs ran.</summary>
public sealed record FoldSummary(int Fold, double BestMetric, int BestEpoch, int EpochsRun);

/// <summary>The device to train on: CUDA when asked for or (auto) when available, else CPU.</summary>
public static class TrainingDevice
{
    public static Device Resolve(string requested) => requested.ToLowerInvariant() switch
    {
        "auto" => cuda.is_available() ? CUDA : CPU,
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new InvalidOperationException("--device cuda was asked for, but this TorchSharp build or machine has no CUDA (build the worker with -p:TorchBackend=cuda)"),
        _ => throw new ArgumentException($"unknown device '{requested}' (auto, cpu, cuda)"),
    };

    /// <summary>The device's name for `sweep workers`: cuda (with the device count) or cpu (with its thread count).</summary>
    public static string Describe(Device device) =>
        device.type == DeviceType.CUDA ? $"cuda ({cuda.device_count()} device(s))" : $"cpu ({get_num_threads()} threads)";
}

/// <summary>A trial's files under the artifacts root: summary.json and oof.csv (out-of-fold probabilities by training row).</summary>
public static class TrialArtifacts
{
    public static string Folder(string root, string studyId, string backbone, int number) =>
        Path.Combine(root, studyId, backbone, $"trial-{number:D4}");

    internal static void Write(string root, TrialAssignment assignment, PreparedData data, TrialHyperparameters hp,
        IReadOnlyList<FoldSummary> folds, IReadOnlyDictionary<int, double[]> outOfFold, double value)
    {
        var folder = Folder(root, assignment.StudyId, assignment.Backbone, assignment.Number);
        Directory.CreateDirectory(folder);
        var summary = new
        {
            study = assignment.StudyId, backbone = assignment.Backbone, number = assignment.Number, value,
            @params = assignment.Params.ToDictionary(p => p.Key, p => p.Value.ToString()),
            hyperparameters = hp, folds, classes = data.Dataset.ClassNames, task = data.Dataset.Kind.ToString(),
        };
        WriteAtomically(Path.Combine(folder, "summary.json"), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));

        var csv = new StringBuilder();
        csv.Append("row,id,").AppendJoin(',', data.Dataset.ClassNames.Select(c => "p_" + c)).Append('\n');
        foreach (var (row, probabilities) in outOfFold.OrderBy(p => p.Key))
        {
            csv.Append(row.ToString(CultureInfo.InvariantCulture)).Append(',').Append(data.Dataset.Ids[row]).Append(',')
               .AppendJoin(',', probabilities.Select(p => p.ToString("R", CultureInfo.InvariantCulture))).Append('\n');
        }
        WriteAtomically(Path.Combine(folder, "oof.csv"), csv.ToString());
    }

    /// <summary>Write then rename, so a reader never sees half a file (a worker can die mid-write).</summary>
    private static void WriteAtomically(string path, string content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
