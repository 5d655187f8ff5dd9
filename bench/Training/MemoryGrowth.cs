using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using static TorchSharp.torch;
using SweepCluster.Training.Data;
using SweepCluster.Search.Sampling;

/// <summary>
/// Runs many small trials the way the worker does (build a model, train a fold, score it, dispose, collect)
/// and prints the process's resident memory every tenth trial: the figure must level off, not climb.
/// </summary>
internal static class MemoryGrowth
{
    public static async Task RunAsync(Args options)
    {
        var config = BackboneConfig.Parse("""
            {"model_type": "bert", "vocab_size": 8000, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128, "max_position_embeddings": 128}
            """);
        var random = new Random(1);
        var rows = new TokenizedRows(Enumerable.Range(0, 512).Select(_ => Enumerable.Range(0, random.Next(8, 64)).Select(_ => (long)random.Next(5, 8000)).ToArray()).ToList(), 0);
        var labels = Enumerable.Range(0, 512).Select(i => i % 2).ToArray();
        var hp = TrialHyperparameters.From(new Dictionary<string, object>(), new TrainingSettings { Epochs = 1, BatchSize = 32 });
        var trainer = new FoldTrainer(NullLogger.Instance);
        Console.WriteLine("trial  resident MiB  managed MiB");
        var first = 0.0;
        for (var trial = 1; trial <= options.Trials; trial++)
        {
            using (var model = new BertForSequenceClassification(config, 2))
            {
                await trainer.RunAsync(model, CPU, new FoldRun
                    {
                        Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                        Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = Enumerable.Range(0, 384).ToArray(), Validation = Enumerable.Range(384, 128).ToArray(), Seed = trial, Label = "memory",
                    }, _ => Task.FromResult(true), CancellationToken.None);
            }
            GC.Collect();
            GC.WaitForPendingFinalizers();
            if (trial % 10 != 0 && trial != 1) continue;
            using var process = Process.GetCurrentProcess();
            var resident = process.WorkingSet64 / 1048576.0;
            if (trial == 10) first = resident;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{trial,5} {resident,13:0.0} {GC.GetTotalMemory(false) / 1048576.0,12:0.0}"));
        }
        using var end = Process.GetCurrentProcess();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"growth from trial 10 to {options.Trials}: {end.WorkingSet64 / 1048576.0 - first:0.0} MiB"));
    }
}
