using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SweepCluster.Search.Sampling;
using SweepCluster.Training.Data;
using SweepCluster.Training.Evaluation;
using SweepCluster.Training.Models;
using SweepCluster.Training.Optimization;
using SweepCluster.Training.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SweepCluster.Training.FineTuning;

/// <summary>One epoch's validation: the scores, the probabilities (for out-of-fold ensembling) and the training loss.</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double Metric, ClassificationReport Report, double[][] Probabilities, double SamplesPerSecond);

/// <summary>The fold's outcome at its best epoch (early stopping keeps the best, not the last).</summary>
public sealed record FoldResult(double BestMetric, int BestEpoch, int EpochsRun, double[][] BestProbabilities, bool Stopped);

/// <summary>What a fold is judged by: the validation metric each epoch is scored on, and which way is better.</summary>
public sealed record FoldObjective
{
    /// <param name="metric">f1 | accuracy | precision | recall | roc_auc | loss (<see cref="ClassificationReport.MetricNames"/>).</param>
    /// <exception cref="ArgumentException">Another metric name.</exception>
    public FoldObjective(string metric, StudyDirection direction)
    {
        if (!ClassificationReport.MetricNames.Contains(metric))
            throw new ArgumentException($"unknown metric '{metric}' (expected {string.Join(", ", ClassificationReport.MetricNames)})", nameof(metric));
        Metric = metric;
        Direction = direction;
    }

    public string Metric { get; }
    public StudyDirection Direction { get; }

    /// <summary>Whether <paramref name="candidate"/> beats <paramref name="incumbent"/>.</summary>
    public bool IsBetter(double candidate, double incumbent) => Direction.IsBetter(candidate, incumbent);
}

/// <summary>One fold's training run for <see cref="FoldTrainer.RunAsync"/>: what it trains on, how, and what judges it.</summary>
public sealed record FoldRun
{
    public required TrialHyperparameters Hyperparameters { get; init; }
    public required FoldObjective Objective { get; init; }
    public required TokenizedRows Rows { get; init; }
    public required TrainingTargets Targets { get; init; }
    /// <summary>Indexes into <see cref="Rows"/> trained on.</summary>
    public required int[] Train { get; init; }
    /// <summary>Indexes into <see cref="Rows"/> scored after each epoch.</summary>
    public required int[] Validation { get; init; }
    /// <summary>Seeds the batch order of each epoch.</summary>
    public required int Seed { get; init; }
    /// <summary>What log lines and errors call the run, e.g. "bert trial 3 fold 2/5".</summary>
    public required string Label { get; init; }
}

/// <summary>
/// Fine-tunes one model on one fold: AdamW with backbone/head learning rates and layer-wise decay,
/// no weight decay on biases and norms, linear warm-up then cosine decay, gradient accumulation and
/// clipping, label smoothing, batches grouped by length. After each epoch it scores the validation
/// rows and asks <c>afterEpoch</c> whether to go on (the pruner's answer); early stopping by patience.
/// </summary>
public sealed partial class FoldTrainer(ILogger logger)
{
    /// <summary>Float32, or bfloat16 compute with float32 master weights (the worker's choice on CUDA).</summary>
    public TrainingPrecision Precision { get; init; }

    /// <param name="afterEpoch">Called after each epoch; false stops the run (the pruner's answer).</param>
    /// <param name="onNewBest">Called after an epoch that improves on the best so far, while the model holds that epoch's weights.</param>
    /// <param name="duringEpoch">
    /// Called with the epoch (1-based) and the share of its batches done, in (0, 1], every 20 batches and after the
    /// last (the cadence of the log line; the caller throttles what it sends on).
    /// </param>
    public async Task<FoldResult> RunAsync(
        SequenceClassificationModel model, Device device, FoldRun run,
        Func<EpochResult, Task<bool>> afterEpoch, CancellationToken cancellationToken, Action<EpochResult>? onNewBest = null,
        Func<int, double, Task>? duringEpoch = null)
    {
        var (hp, metric, rows, targets, train, validation, seed, label) =
            (run.Hyperparameters, run.Objective.Metric, run.Rows, run.Targets, run.Train, run.Validation, run.Seed, run.Label);
        model.to(device);
        // Parameters, gradients, masters (bf16) and AdamW's moments in flat buffers: a step is a fixed handful of kernels.
        using var optimizer = CreateFlatOptimizer(model, hp, Precision == TrainingPrecision.BFloat16Mixed);
        var batchesPerEpoch = (train.Length + hp.BatchSize - 1) / hp.BatchSize;
        var stepsPerEpoch = (batchesPerEpoch + hp.GradientAccumulationSteps - 1) / hp.GradientAccumulationSteps;
        var schedule = new LearningRateSchedule(stepsPerEpoch * hp.Epochs, hp.WarmupRatio);
        var step = 0;
        FoldResult? best = null;
        var sinceBest = 0;

        for (var epoch = 1; epoch <= hp.Epochs; epoch++)
        {
            model.train();
            var clock = Stopwatch.StartNew();
            // The loss is summed on the device and read only for the progress line and the epoch's mean: no host sync per batch.
            using var lossTotal = zeros(1, dtype: float64, device: device);
            double lossSum = 0;
            var seen = 0;
            var batches = LengthBatches.Plan(train, i => rows.Ids[i].Length, hp.BatchSize, unchecked(seed * 1009 + epoch));
            for (var b = 0; b < batches.Count; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var (ids, mask) = Batch(rows, batches[b], device);
                var logits = model.forward(ids, mask);
                var loss = Loss(logits.to(float32), targets, batches[b], hp.LabelSmoothing, device);
                (loss / hp.GradientAccumulationSteps).backward();
                using (no_grad()) lossTotal.add_(loss.detach(), alpha: batches[b].Length);
                seen += batches[b].Length;
                if ((b + 1) % hp.GradientAccumulationSteps == 0 || b == batches.Count - 1)
                    optimizer.Update(schedule.Factor(step++), hp.MaxGradNorm);
                if ((b + 1) % 20 == 0 || b == batches.Count - 1)
                {
                    lossSum = lossTotal.item<double>();
                    logger.LogInformation("{Label} epoch {Epoch}/{Epochs} batch {Batch}/{Batches} loss {Loss:0.0000} {Rate:0.0} samples/s",
                        label, epoch, hp.Epochs, b + 1, batches.Count, lossSum / seen, seen / clock.Elapsed.TotalSeconds);
                    if (duringEpoch is not null) await duringEpoch(epoch, (b + 1) / (double)batches.Count);
                }
            }
            var samplesPerSecond = seen / clock.Elapsed.TotalSeconds;

            var probabilities = Predict(model, rows, validation, hp.BatchSize * 2, targets is TrainingTargets.MultiLabel, device);
            var report = Score(probabilities, targets, validation);
            var value = report.Metric(metric);
            if (!double.IsFinite(lossSum / seen))
                throw new NonFiniteMetricException($"{label} epoch {epoch}: training diverged, the mean training loss is {lossSum / seen} (try a lower learning rate or max_grad_norm)");
            if (!double.IsFinite(value))
                throw new NonFiniteMetricException(metric == "roc_auc" && report.RocAuc is null
                    ? $"{label} epoch {epoch}: roc_auc is undefined, the {validation.Length} validation rows do not hold both classes of any label"
                    : $"{label} epoch {epoch}: validation {metric} is {value} (the model's outputs are not finite)");
            var result = new EpochResult(epoch, lossSum / seen, value, report, probabilities, samplesPerSecond);
            logger.LogInformation("{Label} epoch {Epoch}: train loss {Loss:0.0000}, validation {Metric} {Value:0.0000}, accuracy {Accuracy:0.0000}",
                label, epoch, lossSum / seen, metric, value, report.Accuracy);

            if (best is null || run.Objective.IsBetter(value, best.BestMetric))
            {
                best = new FoldResult(BestMetric: value, BestEpoch: epoch, EpochsRun: epoch, BestProbabilities: probabilities, Stopped: false);
                sinceBest = 0;
                // The model as it is now is the fold's best: a caller that keeps fold models saves it here.
                onNewBest?.Invoke(result);
            }
            else
            {
                sinceBest++;
            }
            best = best with { EpochsRun = epoch };
            if (!await afterEpoch(result)) return best with { Stopped = true };
            if (sinceBest >= hp.EarlyStoppingPatience && epoch < hp.Epochs)
            {
                logger.LogInformation("{Label}: no improvement for {Patience} epochs, stopping early at epoch {Epoch}", label, sinceBest, epoch);
                break;
            }
        }
        return best!;
    }

    /// <summary>
    /// Each parameter's peak rate and weight decay, by name: the head at its own rate; the backbone by depth
    /// (embeddings 0, layer i at i + 1) with layer-wise decay from the top layer down; no weight decay on biases and norms.
    /// </summary>
    internal static Func<string, ParameterRate> RateOf(SequenceClassificationModel model, TrialHyperparameters hp) => name =>
    {
        var depth = model.DepthOf(name);
        var rate = depth == model.HeadDepth
            ? hp.HeadLearningRate
            : hp.LearningRate * LearningRateSchedule.LayerFactor(depth, model.HeadDepth, hp.LayerDecay);
        return new ParameterRate(rate, NoDecay().IsMatch(name) ? 0 : hp.WeightDecay);
    };

    /// <summary>The training optimiser: <see cref="FlatAdamW"/> over the model's trainable parameters with <see cref="RateOf"/>'s rates.</summary>
    internal static FlatAdamW CreateFlatOptimizer(SequenceClassificationModel model, TrialHyperparameters hp, bool mixedBFloat16) =>
        new(model, RateOf(model, hp), hp.Beta1, hp.Beta2, hp.AdamEpsilon, mixedBFloat16);

    /// <summary>
    /// TorchSharp's AdamW with one parameter group per (rate, decay) of <see cref="RateOf"/>: the per-tensor reference
    /// <see cref="FlatAdamW"/> is tested against (training uses the flat one).
    /// </summary>
    /// <param name="masterOf">With mixed precision, the float32 master each named parameter is updated through.</param>
    internal static AdamW CreateOptimizer(SequenceClassificationModel model, TrialHyperparameters hp, Func<string, Parameter>? masterOf = null)
    {
        var rateOf = RateOf(model, hp);
        var groups = model.named_parameters()
            .Where(p => p.parameter.requires_grad)
            .Select(p => (Rate: rateOf(p.name), Parameter: masterOf?.Invoke(p.name) ?? p.parameter))
            .GroupBy(p => p.Rate)
            .Select(g => new AdamW.ParamGroup(g.Select(p => p.Parameter), new AdamW.Options
            {
                LearningRate = g.Key.LearningRate,
                weight_decay = g.Key.WeightDecay,
            }))
            .ToList();
        return optim.AdamW(groups, hp.LearningRate, hp.Beta1, hp.Beta2, hp.AdamEpsilon, hp.WeightDecay);
    }

    [GeneratedRegex(@"(bias$|LayerNorm|layer_norm|norm\.weight$)")]
    private static partial Regex NoDecay();

    /// <summary>Pads a batch to its longest row (dynamic padding) and builds the attention mask.</summary>
    internal static (Tensor Ids, Tensor Mask) Batch(TokenizedRows rows, int[] batch, Device device)
    {
        var length = batch.Max(i => rows.Ids[i].Length);
        var ids = new long[batch.Length * length];
        var mask = new long[batch.Length * length];
        for (var r = 0; r < batch.Length; r++)
        {
            var row = rows.Ids[batch[r]];
            for (var t = 0; t < length; t++)
            {
                ids[r * length + t] = t < row.Length ? row[t] : rows.PadTokenId;
                mask[r * length + t] = t < row.Length ? 1 : 0;
            }
        }
        return (tensor(ids, [batch.Length, length], device: device), tensor(mask, [batch.Length, length], device: device));
    }

    private static Tensor Loss(Tensor logits, TrainingTargets targets, int[] batch, double smoothing, Device device)
    {
        switch (targets)
        {
            case TrainingTargets.SingleLabel single:
                var classes = tensor(batch.Select(i => (long)single.Classes[i]).ToArray(), device: device);
                return nn.functional.cross_entropy(logits, classes, label_smoothing: smoothing);
            case TrainingTargets.MultiLabel multi:
                var k = multi.Outputs;
                var values = new float[batch.Length * k];
                for (var r = 0; r < batch.Length; r++)
                for (var j = 0; j < k; j++)
                    values[r * k + j] = (float)(multi.Labels[batch[r]][j] * (1 - smoothing) + 0.5 * smoothing);
                return nn.functional.binary_cross_entropy_with_logits(logits, tensor(values, [batch.Length, k], device: device));
            default:
                throw new ArgumentException($"unknown targets {targets}");
        }
    }

    /// <summary>Probabilities for <paramref name="indices"/> in their order: softmax (single-label) or sigmoid (multi-label).</summary>
    public static double[][] Predict(nn.Module<Tensor, Tensor, Tensor> model, TokenizedRows rows, int[] indices, int batchSize, bool multiLabel, Device device)
    {
        model.eval();
        var output = new double[indices.Length][];
        using var noGrad = no_grad();
        for (var start = 0; start < indices.Length; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var batch = indices.Skip(start).Take(batchSize).ToArray();
            var (ids, mask) = Batch(rows, batch, device);
            var logits = model.forward(ids, mask).to(float64);
            var probabilities = (multiLabel ? logits.sigmoid() : logits.softmax(-1)).cpu();
            var flat = probabilities.data<double>().ToArray();
            var k = (int)probabilities.shape[1];
            for (var r = 0; r < batch.Length; r++) output[start + r] = flat.AsSpan(r * k, k).ToArray();
        }
        return output;
    }

    private static ClassificationReport Score(double[][] probabilities, TrainingTargets targets, int[] validation) => targets switch
    {
        TrainingTargets.SingleLabel single => ClassificationMetrics.SingleLabel(probabilities, validation.Select(i => single.Classes[i]).ToArray()),
        TrainingTargets.MultiLabel multi => ClassificationMetrics.MultiLabel(probabilities, validation.Select(i => multi.Labels[i]).ToArray()),
        _ => throw new ArgumentException($"unknown targets {targets}"),
    };
}
