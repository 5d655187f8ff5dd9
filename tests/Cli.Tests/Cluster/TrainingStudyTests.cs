using System.Globalization;
using System.Text.Json;
using SweepCluster.Contracts.Studies;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Runtime;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// A study with real fine-tuning through the cluster: a silo and two training workers (`sweep worker`,
/// CPU), two backbones × 6 trials × 2 folds on the extremism data, from small random-initialised
/// checkpoints over the real BERT and ELECTRA tokenizers.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class TrainingStudyTests
{
    static TrainingStudyTests() => TorchRuntime.EnsureLoadable();

    /// <summary>A path under ../shared (the data and tokenizer files beside the repository), found above the test binaries.</summary>
    private static string Shared(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", relative);
            if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"shared/{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task Two_backbones_train_with_two_folds_the_pruner_stops_some_and_out_of_fold_probabilities_are_kept()
    {
        await using var cluster = new LocalCluster();
        var bert = Path.Combine(cluster.Directory, "bert-tiny");
        var electra = Path.Combine(cluster.Directory, "electra-tiny");
        RandomCheckpoint.Create(BackboneFamily.Bert, Shared("models/tokenizers/bert-tiny-emotion-config"), bert, new CheckpointShape(), seed: 1);
        RandomCheckpoint.Create(BackboneFamily.Electra, Shared("models/tokenizers/electra-small-QUT-abusive-student-feedback"), electra, new CheckpointShape { EmbeddingSize = 32 }, seed: 2);
        var file = cluster.WriteStudy("training", $$"""
            name: training
            seed: 3
            data:
              train: {{Shared("data/extremism/train.csv")}}
              text_column: Original_Message
              label_column: Extremism_Label
              label_map: {NON_EXTREMIST: 0, EXTREMIST: 1}
              id_column: ID
              holdout_fraction: 0.2
            objective: {metric: accuracy, direction: maximize}
            cv_folds: 2
            budget: {trials_per_backbone: 6, max_parallel: 2}
            sampler: {kind: tpe, startup_trials: 3}
            pruner: {kind: median, startup_trials: 2, warmup_steps: 1}
            training: {epochs: 6, batch_size: 32, early_stopping_patience: 2}
            workload: {kind: train}
            trials: {lease_seconds: 60, max_attempts: 3}
            search_space:
              learning_rate: {type: float, low: 3.0e-4, high: 3.0e-3, log: true}
              head_learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
              weight_decay: {type: float, low: 0.0, high: 0.1}
            backbones:
              - {name: bert-tiny, family: bert, checkpoint: {{bert}}, max_sequence_length: 48}
              - {name: electra-tiny, family: electra, checkpoint: {{electra}}, max_sequence_length: 48}
            """);
        await cluster.StartSilo();
        cluster.StartTrainingWorker("t1");
        cluster.StartTrainingWorker("t2");
        var id = await cluster.Submit(file, "training");

        var status = await cluster.WaitUntilFinished(id, 600);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = (await cluster.Trials(id)).EnumerateArray().ToList();
        Assert.Equal(12, trials.Count);
        var failed = trials.Where(t => t.GetProperty("status").GetString() == "failed").ToList();
        Assert.True(failed.Count == 0, "failed trials: " + string.Join("; ", failed.Select(t => t.GetProperty("error").ToString())) + "\n" + cluster.Dump());
        var pruned = trials.Count(t => t.GetProperty("status").GetString() == "pruned");
        var complete = trials.Where(t => t.GetProperty("status").GetString() == "complete").ToList();
        Assert.True(pruned >= 1, $"the median pruner should stop at least one of 12 trials; {cluster.Dump()}");
        Assert.Equal(12, pruned + complete.Count);

        // Reports are per epoch of each fold: fold k's epoch e at step 1000·k + e.
        foreach (var trial in complete)
        {
            var steps = trial.GetProperty("intermediate_values").EnumerateObject().Select(p => int.Parse(p.Name, CultureInfo.InvariantCulture)).ToList();
            Assert.Contains(1, steps);
            Assert.Contains(steps, s => s > 1000);
        }

        // The tiny BERT learns: held-out-free validation accuracy well above the 0.51 of always saying the larger class.
        var bestBert = complete.Where(t => t.GetProperty("backbone").GetString() == "bert-tiny").Max(t => t.GetProperty("value").GetDouble());
        Assert.True(bestBert > 0.65, $"best bert-tiny accuracy {bestBert:0.000}");

        // Each completed trial kept its out-of-fold probabilities: every non-held-out row once, probabilities summing to 1.
        foreach (var trial in complete)
        {
            var folder = Path.Combine(cluster.ArtifactsRoot, id, trial.GetProperty("backbone").GetString()!, $"trial-{trial.GetProperty("number").GetInt32():D4}");
            var lines = File.ReadAllLines(Path.Combine(folder, "oof.csv"));
            Assert.Equal("row,id,p_NON_EXTREMIST,p_EXTREMIST", lines[0]);
            Assert.Equal(2249 - 450, lines.Length - 1);
            Assert.All(lines.Skip(1), l => Assert.Equal(1.0, l.Split(',').Skip(2).Sum(p => double.Parse(p, CultureInfo.InvariantCulture)), 6));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "summary.json")));
            Assert.Equal(2, summary.RootElement.GetProperty("folds").GetArrayLength());
            Assert.Equal(trial.GetProperty("value").GetDouble(), summary.RootElement.GetProperty("value").GetDouble(), 9);
        }
    }
}
