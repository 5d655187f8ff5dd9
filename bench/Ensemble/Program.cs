using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Tokenization;
using static TorchSharp.torch;
using SweepCluster.Search.Sampling;

// ensemble-bench train   --dataset extremism|davidson --seeds 1,2,3 --encoders NAME=DIR,... --out DIR [--epochs 2] [--max-length 64] [--folds 2] [--threads 2]
// ensemble-bench analyse --out DIR
//
// train: for each seed, the product's stratified split (20% held out, k folds over the rest); each encoder is fine-tuned
// on every fold (out-of-fold probabilities at the fold's best epoch, and that same epoch's probabilities on the held-out
// rows: the fold models averaged) and retrained on all non-held-out rows for the product's final-epochs rule (held-out
// probabilities of the final model). Probabilities are written per (dataset, seed, encoder), so `analyse` can be re-run
// cheaply. Nothing is tuned on held-out rows: hyperparameters are fixed up front, weights and thresholds come from
// out-of-fold predictions only.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var options = Options(args.Skip(1).ToArray());
var outDir = options.GetValueOrDefault("out", "ensemble-bench-out");
switch (args.FirstOrDefault())
{
    case "train":
        TorchRuntime.EnsureLoadable();
        set_num_threads(int.Parse(options.GetValueOrDefault("threads", "2")));
        await Train(options, outDir);
        break;
    case "analyse":
        SweepCluster.Bench.Ensemble.Analysis.Run(outDir, options.GetValueOrDefault("classic", "tfidf_word,tfidf_char,nbsvm").Split(',', StringSplitOptions.RemoveEmptyEntries));
        break;
    default:
        Console.Error.WriteLine("usage: ensemble-bench train|analyse --out DIR [...] (see Program.cs)");
        return 2;
}
return 0;

static async Task Train(Dictionary<string, string> options, string outDir)
{
    var datasetName = options.GetValueOrDefault("dataset", "extremism");
    var seeds = options.GetValueOrDefault("seeds", "1,2,3").Split(',').Select(int.Parse).ToArray();
    var encoders = options["encoders"].Split(',').Select(e => e.Split('=')).ToDictionary(e => e[0], e => e[1]);
    var epochs = int.Parse(options.GetValueOrDefault("epochs", "2"));
    var maxLength = int.Parse(options.GetValueOrDefault("max-length", "64"));
    var folds = int.Parse(options.GetValueOrDefault("folds", "2"));
    var (dataset, subset) = SweepCluster.Bench.Ensemble.BenchData.Load(datasetName);
    foreach (var seed in seeds)
    {
        var splits = SweepCluster.Bench.Ensemble.BenchData.Split(dataset, subset, folds, seed);
        var folder = Path.Combine(outDir, datasetName, $"seed-{seed}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "splits.txt"), $"heldout {string.Join(' ', splits.HeldOut)}\n" + string.Join('\n', splits.Folds.Select((f, k) => $"fold{k} {string.Join(' ', f.Validation)}")) + "\n");
        foreach (var (name, checkpoint) in encoders)
        {
            var done = Path.Combine(folder, $"{name}.heldout-final.csv");
            if (File.Exists(done)) { Console.WriteLine($"{datasetName} seed {seed} {name}: done already"); continue; }
            var config = BackboneConfig.Load(checkpoint).WithDropout(0.1);
            var encoder = TokenizerLoader.Load(checkpoint, config.Family);
            var rows = new TokenizedRows(dataset.Texts.Select(t => encoder.Encode(t, maxLength)).ToList(), encoder.PadTokenId);
            // Fixed, usual fine-tuning settings for small BERTs (not tuned on these splits).
            var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 5e-5, ["head_learning_rate"] = 5e-4, ["weight_decay"] = 0.01, ["warmup_ratio"] = 0.1 },
                new TrainingSettings { Epochs = epochs, BatchSize = 16, EarlyStoppingPatience = epochs + 1 });
            var oof = new Dictionary<int, double[]>();
            var heldFolds = new List<double[][]>();
            var bestEpochs = new List<int>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var k = 0; k < splits.Folds.Count; k++)
            {
                var fold = splits.Folds[k];
                manual_seed(seed * 100 + k);
                using var model = SequenceClassifier.Create(config.Family, config, dataset.Targets.Outputs);
                CheckpointLoader.Load(model, checkpoint);
                var heldByEpoch = new Dictionary<int, double[][]>();
                var result = await new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
                    {
                        Hyperparameters = hp, Objective = new FoldObjective("loss", StudyDirection.Minimize),
                        Rows = rows, Targets = dataset.Targets, Train = fold.Train, Validation = fold.Validation, Seed = seed * 100 + k, Label = $"{name} fold {k}",
                    }, e =>
                    {
                        heldByEpoch[e.Epoch] = FoldTrainer.Predict(model, rows, splits.HeldOut, 32, dataset.Kind == TaskKind.MultiLabel, CPU);
                        Console.WriteLine($"  {datasetName} seed {seed} {name} fold {k + 1}/{splits.Folds.Count} epoch {e.Epoch}: train loss {e.TrainLoss:0.0000}, validation loss {e.Report.Loss:0.0000}, accuracy {e.Report.Accuracy:0.0000}, {e.SamplesPerSecond:0.0} samples/s");
                        return Task.FromResult(true);
                    }, CancellationToken.None);
                for (var i = 0; i < fold.Validation.Length; i++) oof[fold.Validation[i]] = result.BestProbabilities[i];
                heldFolds.Add(heldByEpoch[result.BestEpoch]);
                bestEpochs.Add(result.BestEpoch);
                GC.Collect();
            }
            var heldFoldAverage = splits.HeldOut.Select((_, i) => Enumerable.Range(0, heldFolds[0][i].Length).Select(j => heldFolds.Average(h => h[i][j])).ToArray()).ToArray();
            SweepCluster.Bench.Ensemble.BenchData.Write(Path.Combine(folder, $"{name}.oof.csv"), oof);
            SweepCluster.Bench.Ensemble.BenchData.Write(Path.Combine(folder, $"{name}.heldout-folds.csv"), splits.HeldOut.Select((r, i) => KeyValuePair.Create(r, heldFoldAverage[i])));

            // The product's final-epochs rule: the mean of the folds' best epochs, rounded.
            var finalEpochs = Math.Max(1, (int)Math.Round(bestEpochs.Average(), MidpointRounding.AwayFromZero));
            var training = Enumerable.Range(0, dataset.Count).Where(subset.Contains).Except(splits.HeldOut).ToArray();
            manual_seed(seed * 100 + 99);
            using (var final = SequenceClassifier.Create(config.Family, config, dataset.Targets.Outputs))
            {
                CheckpointLoader.Load(final, checkpoint);
                double[][]? last = null;
                await new FoldTrainer(NullLogger.Instance).RunAsync(final, CPU, new FoldRun
                    {
                        Hyperparameters = hp with { Epochs = finalEpochs }, Objective = new FoldObjective("loss", StudyDirection.Minimize),
                        Rows = rows, Targets = dataset.Targets, Train = training, Validation = splits.HeldOut, Seed = seed * 100 + 99, Label = $"{name} final",
                    }, e =>
                    {
                        last = e.Probabilities;
                        Console.WriteLine($"  {datasetName} seed {seed} {name} final retrain epoch {e.Epoch}/{finalEpochs}: train loss {e.TrainLoss:0.0000}, {e.SamplesPerSecond:0.0} samples/s");
                        return Task.FromResult(true);
                    }, CancellationToken.None);
                SweepCluster.Bench.Ensemble.BenchData.Write(done, splits.HeldOut.Select((r, i) => KeyValuePair.Create(r, last![i])));
            }
            GC.Collect();
            Console.WriteLine($"{datasetName} seed {seed} {name}: done in {clock.Elapsed.TotalMinutes:0.0} min (best epochs {string.Join(",", bestEpochs)}, final {finalEpochs})");
        }
    }
}

static Dictionary<string, string> Options(string[] args)
{
    var result = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2) result[args[i].TrimStart('-')] = args[i + 1];
    return result;
}
