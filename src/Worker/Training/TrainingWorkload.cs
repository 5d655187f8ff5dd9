using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Data;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Storage;
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
public sealed partial class TrainingWorkload : ITrialWorkload
{
    private readonly TrainingWorkloadOptions _options;
    private readonly ILogger _logger;
    private readonly PreparedDataCache _data;

    public TrainingWorkload(TrainingWorkloadOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _data = new PreparedDataCache(logger);
        Device = TrainingDevice.Resolve(options.Device);
        TorchRuntime.Start(options.Threads);
    }

    public Device Device { get; }

    public Task<WorkloadResult> RunAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken) =>
        assignment.Kind switch
        {
            JobKind.FinalRetrain => RunFinalRetrainAsync(assignment, spec, assignment.Backbone, reporter, cancellationToken),
            JobKind.Ensemble => RunEnsembleAsync(assignment, spec, reporter, cancellationToken),
            _ => RunSearchTrialAsync(assignment, spec, reporter, cancellationToken),
        };

    private async Task<WorkloadResult> RunSearchTrialAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        await reporter.ProgressAsync(new TrialProgress { Phase = "tokenising", UpdatedUtc = DateTime.UtcNow }, cancellationToken);
        var (backbone, data, hp, failure) = Prepare(assignment, spec, assignment.Backbone);
        if (failure is not null) return failure;

        var label = $"{assignment.TrialKey}";
        var reports = new List<StepValue>();
        var folds = new List<FoldSummary>();
        var outOfFold = new Dictionary<int, double[]>();
        var trainer = TrainerFor(spec);
        var trialSeed = unchecked(spec.Seed * 7919 + assignment.Number * 104729);
        ReportVerdict? stop = null;
        // With a final stage, each fold's best model scores the held-out rows (cheap), and under
        // final.models: folds it is saved too, so the fold models can stand for the backbone later.
        var finalStage = spec.Final.Retrain && data.Splits.HeldOut.Length > 0;
        var keepFoldModels = finalStage && spec.Final.Models == FinalModels.Folds;
        var trialFolder = ArtifactLayout.Trial(_options.ArtifactsRoot, assignment.StudyId, assignment.Backbone, assignment.Number);
        var heldOutSum = new double[data.Splits.HeldOut.Length][];
        EpochResult? lastEpoch = null;
        var multiLabel = data.Dataset.Kind == TaskKind.MultiLabel;
        try
        {
            for (var k = 0; k < data.Splits.Folds.Count && stop is null; k++)
            {
                var fold = data.Splits.Folds[k];
                var (rows, targets, train) = data.Balancer.Apply(fold.Train, trialSeed + k);
                manual_seed(trialSeed + k);
                var config = hp.Dropout is { } dropout ? data.Config.WithDropout(dropout) : data.Config;
                FoldResult result;
                double[][]? foldHeldOut = null;
                using (var model = SequenceClassifier.Create(backbone.Family, config, data.Dataset.Targets.Outputs))
                {
                    var load = CheckpointLoader.Load(model, backbone.Checkpoint!);
                    if (k == 0 && load.NewlyInitialised.Count > 0)
                        _logger.LogInformation("{Trial}: new classification head initialised ({Keys}) on {Checkpoint}", label, string.Join(", ", load.NewlyInitialised), backbone.Checkpoint);
                    var foldIndex = k;
                    Action<EpochResult>? onNewBest = !finalStage ? null : _ =>
                    {
                        foldHeldOut = FoldTrainer.Predict(model, data.Rows, data.Splits.HeldOut, hp.BatchSize * 2, multiLabel, Device);
                        if (keepFoldModels)
                            TrainedModel.Save(ArtifactLayout.FoldModel(trialFolder, foldIndex), model, backbone.Checkpoint!, new TrainedModelInfo
                            {
                                Backbone = backbone.Name, Family = backbone.Family, Task = data.Dataset.Kind.ToString(), ClassNames = data.Dataset.ClassNames,
                                MaxSequenceLength = data.MaxSequenceLength, SourceTrial = assignment.Number,
                            });
                    };
                    var foldCount = data.Splits.Folds.Count;
                    result = await trainer.RunAsync(model, Device, new FoldRun
                        {
                            Hyperparameters = hp, Objective = new FoldObjective(spec.Objective.Metric, spec.Objective.Direction),
                            Rows = rows, Targets = targets, Train = train, Validation = fold.Validation, Seed = trialSeed + k, Label = $"{label} fold {k + 1}/{data.Splits.Folds.Count}",
                        },
                        async epoch =>
                        {
                            // Fold k's epoch e is reported at ReportPosition (k, e), the same for every trial.
                            lastEpoch = epoch;
                            var step = ReportPosition.Of(foldIndex, epoch.Epoch).Step;
                            reports.Add(new StepValue(step, epoch.Metric));
                            await reporter.ProgressAsync(new TrialProgress
                            {
                                Phase = "training", Fold = foldIndex, Folds = data.Splits.Folds.Count, Epoch = epoch.Epoch, Epochs = hp.Epochs,
                                Loss = epoch.TrainLoss, SamplesPerSecond = epoch.SamplesPerSecond, UpdatedUtc = DateTime.UtcNow,
                            }, cancellationToken);
                            var verdict = await reporter.ReportAsync(step, epoch.Metric, cancellationToken);
                            if (verdict == ReportVerdict.Continue) return true;
                            stop = verdict;
                            return false;
                        },
                        cancellationToken, onNewBest,
                        DuringEpoch(reporter, (epoch, done) => new TrialProgress
                        {
                            Phase = "training", Fold = foldIndex, Folds = foldCount, Epoch = epoch - 1, Epochs = hp.Epochs, EpochFraction = done,
                            Loss = lastEpoch?.TrainLoss, SamplesPerSecond = lastEpoch?.SamplesPerSecond, UpdatedUtc = DateTime.UtcNow,
                        }, cancellationToken));
                }
                // Release the fold's native memory now rather than at the next GC: a long run must not grow.
                GC.Collect();
                GC.WaitForPendingFinalizers();
                if (stop is not null) break;
                folds.Add(new FoldSummary(k, result.BestMetric, result.BestEpoch, result.EpochsRun));
                for (var i = 0; i < fold.Validation.Length; i++) outOfFold[fold.Validation[i]] = result.BestProbabilities[i];
                if (foldHeldOut is not null)
                    for (var i = 0; i < heldOutSum.Length; i++)
                        heldOutSum[i] = heldOutSum[i] is null ? (double[])foldHeldOut[i].Clone() : heldOutSum[i].Zip(foldHeldOut[i], (a, b) => a + b).ToArray();
            }
        }
        catch (NonFiniteMetricException e)
        {
            // A named outcome, not an exception dump: the trial failed because its value cannot exist.
            if (keepFoldModels) TrialArtifacts.DeleteFoldModels(trialFolder);
            return new WorkloadResult.Failed(e.Message);
        }
        catch
        {
            // A failed trial's fold models can never be used: do not leave them on disk.
            if (keepFoldModels) TrialArtifacts.DeleteFoldModels(trialFolder);
            throw;
        }
        if (stop is { } verdictStop)
        {
            if (keepFoldModels) TrialArtifacts.DeleteFoldModels(trialFolder);
            return new WorkloadResult.Stopped(verdictStop);
        }

        var value = folds.Average(f => f.BestMetric);
        TrialArtifacts.Write(_options.ArtifactsRoot, assignment, data, hp, folds, outOfFold, value);
        if (finalStage && folds.Count > 0)
            TrialArtifacts.WriteProbabilities(ArtifactLayout.TrialHeldOut(trialFolder), data,
                data.Splits.HeldOut.Select((row, i) => KeyValuePair.Create(row, heldOutSum[i].Select(v => v / folds.Count).ToArray())));
        _logger.LogInformation("{Trial}: {Metric} {Value:0.0000} (mean of {Folds} folds; best epochs {Epochs})",
            label, spec.Objective.Metric, value, folds.Count, string.Join(",", folds.Select(f => f.BestEpoch)));
        return new WorkloadResult.Completed(value, reports);
    }
}

public sealed partial class TrainingWorkload
{
    /// <summary>Mixed precision where it pays: bfloat16 tensor cores on CUDA; on CPUs without bf16 units it would be slower.</summary>
    /// <summary>How often progress is sent during an epoch, at most: 5 s. A fast GPU then makes no more grain calls than a slow CPU.</summary>
    internal static readonly TimeSpan MidEpochProgressInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <see cref="FoldTrainer.RunAsync"/>'s duringEpoch: sends <paramref name="progress"/>(epoch, share done) at most every
    /// <see cref="MidEpochProgressInterval"/>, and never for a finished epoch (its end sends its own, with the loss).
    /// </summary>
    /// <param name="interval">At most one send per this long; <see cref="MidEpochProgressInterval"/> when null (tests pass zero).</param>
    internal static Func<int, double, Task> DuringEpoch(ITrialReporter reporter, Func<int, double, TrialProgress> progress, CancellationToken cancellationToken,
        TimeSpan? interval = null)
    {
        var every = interval ?? MidEpochProgressInterval;
        var sinceSent = System.Diagnostics.Stopwatch.StartNew();
        return async (epoch, done) =>
        {
            if (done >= 1 || sinceSent.Elapsed < every) return;
            sinceSent.Restart();
            await reporter.ProgressAsync(progress(epoch, done), cancellationToken);
        };
    }

    private FoldTrainer TrainerFor(StudySpec spec) => new(_logger)
    {
        Precision = spec.Training.MixedPrecision && Device.type == DeviceType.CUDA ? TrainingPrecision.BFloat16Mixed : TrainingPrecision.Float32,
    };

    /// <summary>
    /// The backbone (its checkpoint named), its prepared data and the job's parameters — or the failure that ends the job for good
    /// (no such backbone, no checkpoint, bad data, impossible parameters).
    /// </summary>
    private (BackboneSpec Backbone, PreparedData Data, TrialHyperparameters Hp, WorkloadResult.Failed? Failure) Prepare(TrialAssignment assignment, StudySpec spec, string backboneName)
    {
        var backbone = spec.Backbones.FirstOrDefault(b => b.Name == backboneName);
        if (backbone is null) return (null!, null!, null!, new WorkloadResult.Failed($"study '{spec.Name}' has no backbone '{backboneName}'"));
        if (backbone.Checkpoint is null) return (backbone, null!, null!, new WorkloadResult.Failed($"backbone '{backbone.Name}' names no checkpoint folder"));
        try
        {
            return (backbone, _data.Get(assignment.StudyId, spec.ToTrainingStudy(), backbone.ToBackboneSettings()), TrialHyperparameters.From(assignment.Params, spec.Training.ToTrainingSettings()), null);
        }
        catch (Exception e) when (IsPermanent(e))
        {
            return (backbone, null!, null!, new WorkloadResult.Failed(e.Message));
        }
    }

    /// <summary>Bad data, a broken checkpoint or impossible parameters: they fail the same way on every retry.</summary>
    private static bool IsPermanent(Exception e) =>
        e is DataFileException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException or NonFiniteMetricException;
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

/// <summary>
/// Reads and writes a trial's files (summary.json, probability tables, fold models); where they lie is
/// <see cref="ArtifactLayout"/>'s.
/// </summary>
public static class TrialArtifacts
{
    /// <summary>The trial's fold models in fold order (empty when it kept none).</summary>
    public static IReadOnlyList<string> FoldModels(string trialFolder) =>
        !Directory.Exists(trialFolder) ? []
        : Directory.EnumerateDirectories(trialFolder, ArtifactLayout.FoldModelPrefix + "*")
            .Where(d => FoldOf(d) is not null && File.Exists(Path.Combine(d, TrainedModel.InfoFile)))
            .OrderBy(d => FoldOf(d)).ToList();

    private static int? FoldOf(string foldFolder) =>
        int.TryParse(Path.GetFileName(foldFolder)[ArtifactLayout.FoldModelPrefix.Length..], CultureInfo.InvariantCulture, out var fold) ? fold : null;

    /// <summary>Deletes a trial's fold models (and half-written ones): a pruned or failed trial, or one that is not its backbone's best.</summary>
    public static void DeleteFoldModels(string trialFolder)
    {
        if (!Directory.Exists(trialFolder)) return;
        foreach (var folder in Directory.EnumerateDirectories(trialFolder, ArtifactLayout.FoldModelPrefix + "*")) Directory.Delete(folder, recursive: true);
    }

    /// <summary>Reads a probabilities file written by <see cref="WriteProbabilities"/>: row index → probabilities.</summary>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="DataFileException">The file is not such a table (its message names the line and row).</exception>
    public static Dictionary<int, double[]> ReadProbabilities(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (was the job that writes it lost?)", path);
        var result = new Dictionary<int, double[]>();
        // Through the CSV reader: ids are the training file's own and may hold commas, quotes or line breaks.
        foreach (var row in DelimitedFile.Read(path, ',').Rows)
            result[int.Parse(row.Fields[0], CultureInfo.InvariantCulture)] = row.Fields.Skip(2).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        return result;
    }

    /// <summary>Probabilities by training-file row (index and id), one column per class.</summary>
    internal static void WriteProbabilities(string path, PreparedData data, IEnumerable<KeyValuePair<int, double[]>> probabilities) =>
        DelimitedFile.Write(path, ["row", "id", .. data.Dataset.ClassNames.Select(c => "p_" + c)],
            probabilities.OrderBy(p => p.Key).Select(p => (IReadOnlyList<string>)[
                p.Key.ToString(CultureInfo.InvariantCulture), data.Dataset.Ids[p.Key], .. p.Value.Select(v => v.ToString("R", CultureInfo.InvariantCulture))]));

    internal static void Write(string root, TrialAssignment assignment, PreparedData data, TrialHyperparameters hp,
        IReadOnlyList<FoldSummary> folds, IReadOnlyDictionary<int, double[]> outOfFold, double value)
    {
        var folder = ArtifactLayout.Trial(root, assignment.StudyId, assignment.Backbone, assignment.Number);
        Directory.CreateDirectory(folder);
        var summary = new
        {
            study = assignment.StudyId, backbone = assignment.Backbone, number = assignment.Number, value,
            @params = assignment.Params.ToDictionary(p => p.Key, p => p.Value.ToString()),
            hyperparameters = hp, folds, classes = data.Dataset.ClassNames, task = data.Dataset.Kind.ToString(),
        };
        AtomicFile.WriteAllText(ArtifactLayout.TrialSummary(folder), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        WriteProbabilities(ArtifactLayout.OutOfFold(folder), data, outOfFold);
    }
}
