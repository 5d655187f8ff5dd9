using System.Globalization;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Worker.Workloads;
using static TorchSharp.torch;
using SweepCluster.Search.Sampling;
using SweepCluster.Training.Storage;

namespace SweepCluster.Worker.Training;

// The final retrain: the backbone's best parameters on every non-held-out row (balanced as the folds
// were), for the epochs where the best trial's folds peaked, no early stopping and no pruning. The
// held-out rows are scored once per epoch only so the last epoch's probabilities can be kept for the
// ensemble step; nothing about training looks at them. Each epoch reports its training loss (progress,
// and the channel through which a cancelled study stops the job); progress goes out at each epoch's end and every
// few seconds within one, so a one-epoch retrain shows its share done and a time left.
public sealed partial class TrainingWorkload
{
    private async Task<WorkloadResult> RunFinalRetrainAsync(TrialAssignment assignment, StudySpec spec, string backboneName, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        await reporter.ProgressAsync(new TrialProgress { Phase = "tokenising", UpdatedUtc = DateTime.UtcNow }, cancellationToken);
        var (backbone, data, hp, failure) = Prepare(assignment, spec, backboneName);
        if (failure is not null) return failure;
        hp = hp with { EarlyStoppingPatience = hp.Epochs + 1 };
        var sourceTrial = assignment.Params.TryGetValue(StudyJob.SourceTrialParam, out var source) ? Convert.ToInt32(source, CultureInfo.InvariantCulture) : -1;
        var label = $"{assignment.StudyId}/{backbone.Name} final retrain";
        var heldOut = data.Splits.HeldOut;
        if (heldOut.Length == 0) return new WorkloadResult.Failed("the final retrain and the ensemble are scored on held-out rows; set data.holdout_fraction above 0");
        var training = Enumerable.Range(0, data.Dataset.Count).Except(heldOut).ToArray();
        var seed = unchecked(spec.Seed * 7919 + 999_983);
        var (rows, targets, train) = data.Balancer.Apply(training, seed);
        _logger.LogInformation("{Job}: trial {Trial}'s parameters, {Epochs} epochs on {Rows} rows ({Balancing})", label, sourceTrial, hp.Epochs, train.Length, spec.Data.Balancing);

        manual_seed(seed);
        var config = hp.Dropout is { } dropout ? data.Config.WithDropout(dropout) : data.Config;
        using var model = SequenceClassifier.Create(backbone.Family, config, data.Dataset.Targets.Outputs);
        CheckpointLoader.Load(model, backbone.Checkpoint!);
        EpochResult? last = null;
        var reports = new List<StepValue>();
        ReportVerdict? stop = null;
        try
        {
            await TrainerFor(spec).RunAsync(model, Device, new FoldRun
                {
                    Hyperparameters = hp, Objective = new FoldObjective(spec.Objective.Metric, spec.Objective.Direction),
                    Rows = rows, Targets = targets, Train = train, Validation = heldOut, Seed = seed, Label = label,
                },
                async epoch =>
                {
                    last = epoch;
                    reports.Add(new StepValue(epoch.Epoch, epoch.TrainLoss));
                    await reporter.ProgressAsync(new TrialProgress
                    {
                        Phase = "training", Epoch = epoch.Epoch, Epochs = hp.Epochs, Loss = epoch.TrainLoss,
                        SamplesPerSecond = epoch.SamplesPerSecond, UpdatedUtc = DateTime.UtcNow,
                    }, cancellationToken);
                    var verdict = await reporter.ReportAsync(epoch.Epoch, epoch.TrainLoss, cancellationToken);
                    if (verdict == ReportVerdict.Continue) return true;
                    stop = verdict;
                    return false;
                },
                cancellationToken, duringEpoch: DuringEpoch(reporter, (epoch, done) => new TrialProgress
                {
                    Phase = "training", Epoch = epoch - 1, Epochs = hp.Epochs, EpochFraction = done,
                    Loss = last?.TrainLoss, SamplesPerSecond = last?.SamplesPerSecond, UpdatedUtc = DateTime.UtcNow,
                }, cancellationToken));
        }
        catch (NonFiniteMetricException e)
        {
            return new WorkloadResult.Failed(e.Message);
        }
        if (stop is { } stopped) return new WorkloadResult.Stopped(stopped);

        var folder = ArtifactLayout.FinalModel(_options.ArtifactsRoot, assignment.StudyId, backbone.Name);
        TrainedModel.Save(folder, model, backbone.Checkpoint!, new TrainedModelInfo
        {
            Backbone = backbone.Name, Family = backbone.Family, Task = data.Dataset.Kind.ToString(), ClassNames = data.Dataset.ClassNames,
            MaxSequenceLength = data.MaxSequenceLength, SourceTrial = sourceTrial, Epochs = hp.Epochs,
        });
        TrialArtifacts.WriteProbabilities(ArtifactLayout.FinalHeldOut(_options.ArtifactsRoot, assignment.StudyId, backbone.Name), data,
            heldOut.Select((row, i) => KeyValuePair.Create(row, last!.Probabilities[i])));
        GC.Collect();
        _logger.LogInformation("{Job}: saved to {Folder}; held-out {Metric} {Value:0.0000}", label, folder, spec.Objective.Metric, last!.Metric);
        return new WorkloadResult.Completed(last.Metric, reports);
    }
}
