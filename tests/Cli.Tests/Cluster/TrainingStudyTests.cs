using System.Globalization;
using System.Text.Json;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.Runtime;
using SweepCluster.Vocabulary;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// Studies with real fine-tuning through the cluster, from `sweep submit` to the submission file: a silo
/// and training workers (`sweep worker`, CPU) on the real extremism and Jigsaw data, from small
/// random-initialised checkpoints over the real BERT and ELECTRA tokenizers.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class TrainingStudyTests
{
    static TrainingStudyTests() => TorchRuntime.EnsureLoadable();

    private const int ExtremismRows = 2249;
    private const int ExtremismHeldOut = 450;

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

    private static (string Bert, string Electra) Checkpoints(LocalCluster cluster)
    {
        var bert = Path.Combine(cluster.Directory, "bert-tiny");
        var electra = Path.Combine(cluster.Directory, "electra-tiny");
        // 32 positions, fewer than the studies' max_sequence_length 48: trials, final models, the ensemble
        // and predict must all cut at 32 (extremism texts run longer), or libtorch fails "index out of range".
        RandomCheckpoint.Create(BackboneFamily.Bert, Shared("models/tokenizers/bert-tiny-emotion-config"), bert, new CheckpointShape { MaxPositions = 32 }, seed: 1);
        RandomCheckpoint.Create(BackboneFamily.Electra, Shared("models/tokenizers/electra-small-QUT-abusive-student-feedback"), electra, new CheckpointShape { EmbeddingSize = 32 }, seed: 2);
        return (bert, electra);
    }

    private static string ExtremismStudy(string name, string backbones, int trials, int maxParallel, double leaseSeconds = 60,
        string final = "{retrain: true, ensemble: soft, fit_weights: true}") => $$"""
        name: {{name}}
        seed: 3
        data:
          train: {{Shared("data/extremism/train.csv")}}
          test: {{Shared("data/extremism/test.csv")}}
          text_column: Original_Message
          label_column: Extremism_Label
          label_map: {NON_EXTREMIST: 0, EXTREMIST: 1}
          id_column: ID
          holdout_fraction: 0.2
        objective: {metric: accuracy, direction: maximize}
        cv_folds: 2
        budget: {trials_per_backbone: {{trials}}, max_parallel: {{maxParallel}}}
        sampler: {kind: tpe, startup_trials: 3}
        pruner: {kind: median, startup_trials: 2, warmup_steps: 1}
        training: {epochs: 6, batch_size: 32, early_stopping_patience: 2}
        workload: {kind: train}
        trials: {lease_seconds: {{leaseSeconds.ToString(CultureInfo.InvariantCulture)}}, max_attempts: 3}
        final: {{final}}
        search_space:
          learning_rate: {type: float, low: 3.0e-4, high: 3.0e-3, log: true}
          head_learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
          weight_decay: {type: float, low: 0.0, high: 0.1}
        backbones:
        {{backbones}}
        """;

    private static List<JsonElement> Of(IEnumerable<JsonElement> trials, string status) => trials.Where(t => t.GetProperty("status").GetString() == status).ToList();

    [Fact]
    public async Task A_study_trains_two_backbones_with_pruning_then_retrains_the_best_ensembles_them_and_writes_a_submission()
    {
        await using var cluster = new LocalCluster();
        var (bert, electra) = Checkpoints(cluster);
        var file = cluster.WriteStudy("training", ExtremismStudy("training",
            $"  - {{name: bert-tiny, family: bert, checkpoint: {bert}, max_sequence_length: 48}}\n  - {{name: electra-tiny, family: electra, checkpoint: {electra}, max_sequence_length: 48}}",
            trials: 6, maxParallel: 2));
        await cluster.StartSilo();
        cluster.StartTrainingWorker("t1");
        cluster.StartTrainingWorker("t2");
        var id = await cluster.Submit(file, "training");

        var status = await cluster.WaitUntilFinished(id, 600);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        Assert.Equal("done", status.GetProperty("stage").GetString());
        var trials = (await cluster.Trials(id)).EnumerateArray().ToList();
        Assert.Equal(12, trials.Count);
        var failed = Of(trials, "failed");
        Assert.True(failed.Count == 0, "failed trials: " + string.Join("; ", failed.Select(t => t.GetProperty("error").ToString())) + "\n" + cluster.Dump());
        var complete = Of(trials, "complete");
        Assert.True(Of(trials, "pruned").Count >= 1, $"the median pruner should stop at least one of 12 trials; {cluster.Dump()}");
        Assert.Equal(12, Of(trials, "pruned").Count + complete.Count);

        // Reports are per epoch of each fold: fold k's epoch e at step 1000·k + e.
        foreach (var trial in complete)
        {
            var steps = trial.GetProperty("intermediate_values").EnumerateObject().Select(p => int.Parse(p.Name, CultureInfo.InvariantCulture)).ToList();
            Assert.Contains(1, steps);
            Assert.Contains(steps, s => s > 1000);
        }
        // The tiny BERT learns: validation accuracy well above the 0.51 of always answering the larger class.
        var bestBert = complete.Where(t => t.GetProperty("backbone").GetString() == "bert-tiny").Max(t => t.GetProperty("value").GetDouble());
        Assert.True(bestBert > 0.65, $"best bert-tiny accuracy {bestBert:0.000}");

        // Each completed trial kept its out-of-fold probabilities: every non-held-out row once.
        var studyFolder = Path.Combine(cluster.ArtifactsRoot, id);
        foreach (var trial in complete)
        {
            var folder = Path.Combine(studyFolder, trial.GetProperty("backbone").GetString()!, $"trial-{trial.GetProperty("number").GetInt32():D4}");
            var lines = File.ReadAllLines(Path.Combine(folder, "oof.csv"));
            Assert.Equal("row,id,p_NON_EXTREMIST,p_EXTREMIST", lines[0]);
            Assert.Equal(ExtremismRows - ExtremismHeldOut, lines.Length - 1);
            Assert.All(lines.Skip(1), l => Assert.Equal(1.0, l.Split(',').Skip(2).Sum(p => double.Parse(p, CultureInfo.InvariantCulture)), 6));
        }

        // Both backbones were retrained with their best trial's parameters, and the ensemble step scored them.
        foreach (var backbone in status.GetProperty("backbones").EnumerateArray())
        {
            Assert.Equal("complete", backbone.GetProperty("final_status").GetString());
            var info = TrainedModel.ReadInfo(Path.Combine(studyFolder, backbone.GetProperty("backbone").GetString()!, "final"));
            Assert.Equal(backbone.GetProperty("best_trial").GetInt32(), info.SourceTrial);
            Assert.InRange(info.Epochs, 1, 6);
            Assert.Equal(info.Backbone == "bert-tiny" ? 32 : 48, info.MaxSequenceLength);
        }
        var report = EnsembleReport.Load(Path.Combine(studyFolder, "ensemble", "ensemble.json"));
        Assert.Equal(ExtremismHeldOut, report.HeldOutRows);
        Assert.Equal(ExtremismRows - ExtremismHeldOut, report.OutOfFoldRows);
        Assert.Equal(["ensemble", "hard-vote", "member", "member", "baseline"], report.Rows.Select(r => r.Kind));
        Assert.Equal(1.0, report.Weights.Values.Sum(), 9);
        Assert.Single(report.Thresholds);
        Assert.All(report.Rows, r => Assert.Equal(ExtremismHeldOut, r.Confusion["all"].Sum(row => row.Sum())));
        // The verdict follows the paired bootstrap of ensemble − best member on the held-out rows.
        var bootstrap = report.Comparison.First(c => c.Metric == "accuracy");
        Assert.Contains(bootstrap.Low > 0 ? "beats" : bootstrap.High < 0 ? "is worse than" : "cannot be told apart from", report.Verdict);
        Assert.Equal(status.GetProperty("ensemble_value").GetDouble(), report.Rows[0].Metrics["accuracy"], 9);

        // The submission covers every test row with the training file's label names.
        var submission = File.ReadAllLines(Path.Combine(studyFolder, "ensemble", "submission.csv"));
        var testIds = File.ReadAllLines(Shared("data/extremism/test.csv")).Skip(1).Select(l => l.Split(',')[0]).ToList();
        Assert.Equal("ID,Extremism_Label", submission[0]);
        Assert.Equal(testIds, submission.Skip(1).Select(l => l.Split(',')[0]));
        Assert.All(submission.Skip(1), l => Assert.Contains(l.Split(',')[1], new[] { "EXTREMIST", "NON_EXTREMIST" }));

        // `sweep predict` on another machine: the study's artifacts alone, moved elsewhere, give the same submission.
        var moved = Path.Combine(cluster.Directory, "elsewhere");
        CopyFolder(studyFolder, Path.Combine(moved, id));
        var output = Path.Combine(cluster.Directory, "predicted.csv");
        var probabilities = Path.Combine(cluster.Directory, "probabilities.csv");
        await Sweep.Ok("predict", id, "--input", Shared("data/extremism/test.csv"), "--output", output, "--probabilities", probabilities, "--artifacts", moved);
        Assert.Equal(submission, File.ReadAllLines(output));
        Assert.Equal("ID,ensemble:p_NON_EXTREMIST,ensemble:p_EXTREMIST,bert-tiny:p_NON_EXTREMIST,bert-tiny:p_EXTREMIST,electra-tiny:p_NON_EXTREMIST,electra-tiny:p_EXTREMIST",
            File.ReadLines(probabilities).First());

        // And the report page of the whole study.
        var page = Path.Combine(cluster.Directory, "report.html");
        await Sweep.Ok("report", id, "--out", page, "--artifacts", cluster.ArtifactsRoot, "--cluster", cluster.Address);
        Assert.Contains(report.Verdict.Split(':')[0], File.ReadAllText(page));
    }

    [Fact]
    public async Task A_folds_study_with_a_classic_member_skips_the_retrain_and_predict_reproduces_its_submission()
    {
        await using var cluster = new LocalCluster();
        var (bert, _) = Checkpoints(cluster);
        var file = cluster.WriteStudy("folds", ExtremismStudy("folds",
            $"  - {{name: bert-tiny, family: bert, checkpoint: {bert}, max_sequence_length: 48}}", trials: 3, maxParallel: 1,
            final: "{retrain: true, ensemble: soft, fit_weights: true, models: folds, classic_members: [tfidf_word]}"));
        await cluster.StartSilo();
        cluster.StartTrainingWorker("w1");
        var id = await cluster.Submit(file, "folds");

        var status = await cluster.WaitUntilFinished(id, 600);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        Assert.True("complete" == status.GetProperty("ensemble_status").GetString(), cluster.Dump());
        var studyFolder = Path.Combine(cluster.ArtifactsRoot, id);
        // No final retrain ran: the best trial's two fold models stand for the backbone; other trials kept none.
        Assert.False(Directory.Exists(Path.Combine(studyFolder, "bert-tiny", "final")));
        var best = status.GetProperty("backbones")[0].GetProperty("best_trial").GetInt32();
        foreach (var trial in Directory.EnumerateDirectories(Path.Combine(studyFolder, "bert-tiny"), "trial-*"))
            Assert.Equal(trial.EndsWith($"trial-{best:D4}", StringComparison.Ordinal) ? 2 : 0, Directory.EnumerateDirectories(trial, "fold-*").Count());

        var report = EnsembleReport.Load(Path.Combine(studyFolder, "ensemble", "ensemble.json"));
        Assert.Equal([$"bert-tiny/trial-{best:D4}/fold-0", $"bert-tiny/trial-{best:D4}/fold-1"], report.MemberModels["bert-tiny"].Select(f => f.Replace('\\', '/')));
        Assert.Equal("classic", report.MemberKinds["classic:tfidf_word"]);
        Assert.Equal("fine-tuned", report.MemberKinds["bert-tiny"]);
        Assert.True(File.Exists(Path.Combine(studyFolder, "classic", "tfidf_word", "classic-model.json")));
        Assert.Equal(["accuracy", "roc_auc"], report.Comparison.Select(c => c.Metric));
        Assert.Equal(1000, report.Comparison[0].Resamples);

        var submission = File.ReadAllLines(Path.Combine(studyFolder, "ensemble", "submission.csv"));
        var moved = Path.Combine(cluster.Directory, "elsewhere");
        CopyFolder(studyFolder, Path.Combine(moved, id));
        var output = Path.Combine(cluster.Directory, "predicted.csv");
        await Sweep.Ok("predict", id, "--input", Shared("data/extremism/test.csv"), "--output", output, "--artifacts", moved);
        Assert.Equal(submission, File.ReadAllLines(output));
    }

    [Fact]
    public async Task A_worker_killed_during_the_final_retrain_loses_the_job_to_another_and_the_study_still_finishes()
    {
        await using var cluster = new LocalCluster();
        var (bert, _) = Checkpoints(cluster);
        var file = cluster.WriteStudy("final-kill", ExtremismStudy("final-kill",
            $"  - {{name: bert-tiny, family: bert, checkpoint: {bert}, max_sequence_length: 48}}", trials: 3, maxParallel: 1, leaseSeconds: 6));
        await cluster.StartSilo();
        var doomed = cluster.StartTrainingWorker("doomed");
        var id = await cluster.Submit(file, "final-kill");

        var deadline = DateTime.UtcNow.AddSeconds(300);
        while (true)
        {
            var final = (await cluster.Status(id)).GetProperty("backbones")[0].GetProperty("final_status");
            if (final.ValueKind == JsonValueKind.String && final.GetString() is "leased" or "running") break;
            Assert.True(DateTime.UtcNow < deadline, $"the final retrain never started\n{cluster.Dump()}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
        await doomed.WaitForOutput("final retrain", 30);
        doomed.KillHard();
        cluster.StartTrainingWorker("rescuer");

        var status = await cluster.WaitUntilFinished(id, 300);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        Assert.Equal("complete", status.GetProperty("backbones")[0].GetProperty("final_status").GetString());
        Assert.Equal("complete", status.GetProperty("ensemble_status").GetString());
        Assert.True(File.Exists(Path.Combine(cluster.ArtifactsRoot, id, "ensemble", "submission.csv")), cluster.Dump());
        // The model folder is whole: the killed attempt left no half-written model behind it.
        using var model = TrainedModel.Load(Path.Combine(cluster.ArtifactsRoot, id, "bert-tiny", "final"));
        Assert.Equal(2, model.Predict(["the factories should burn"])[0].Length);
    }

    [Fact]
    public async Task Finalize_stops_the_search_early_and_the_study_goes_on_to_the_final_retrain_and_ensemble()
    {
        await using var cluster = new LocalCluster();
        var (bert, _) = Checkpoints(cluster);
        var file = cluster.WriteStudy("finalize", ExtremismStudy("finalize",
            $"  - {{name: bert-tiny, family: bert, checkpoint: {bert}, max_sequence_length: 48}}", trials: 50, maxParallel: 1));
        await cluster.StartSilo();
        cluster.StartTrainingWorker("f1");
        var id = await cluster.Submit(file, "finalize");
        await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "complete", "complete", 300);

        var said = await Sweep.Ok("finalize", id, "--cluster", cluster.Address);
        Assert.Contains(id, said);
        var status = await cluster.WaitUntilFinished(id, 300);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = (await cluster.Trials(id)).EnumerateArray().ToList();
        Assert.InRange(trials.Count, 1, 3); // the trial in flight when finalize came, and at most one more asked just before
        Assert.All(trials, t => Assert.NotEqual("waiting", t.GetProperty("status").GetString()));
        Assert.Equal("complete", status.GetProperty("backbones")[0].GetProperty("final_status").GetString());
        Assert.Equal("complete", status.GetProperty("ensemble_status").GetString());
        Assert.Equal(2, (await Sweep.Run("finalize", "no-such-study", "--cluster", cluster.Address)).ExitCode);
    }

    [Fact]
    public async Task A_multi_label_study_on_the_six_jigsaw_labels_ends_with_per_label_roc_auc_and_a_probability_submission()
    {
        await using var cluster = new LocalCluster();
        var (bert, _) = Checkpoints(cluster);
        // The first 1,500 comments of the Jigsaw sample keep the study short; every label has positives in it.
        var train = Path.Combine(cluster.Directory, "jigsaw-1500.csv");
        File.WriteAllText(train, string.Join('\n', ReadCsvRecords(Shared("data/jigsaw/train.csv")).Take(1501)) + "\n");
        string[] labels = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"];
        var file = cluster.WriteStudy("jigsaw", $$"""
            name: jigsaw
            seed: 5
            data:
              train: {{train}}
              text_column: comment_text
              label_columns: [{{string.Join(", ", labels)}}]
              id_column: id
              holdout_fraction: 0.2
            objective: {metric: roc_auc, direction: maximize}
            cv_folds: 2
            budget: {trials_per_backbone: 2, max_parallel: 2}
            training: {epochs: 3, batch_size: 32}
            workload: {kind: train}
            final: {retrain: true, ensemble: soft}
            search_space:
              learning_rate: {type: float, low: 1.0e-3, high: 3.0e-3, log: true}
            backbones:
              - {name: bert-tiny, family: bert, checkpoint: {{bert}}, max_sequence_length: 64}
            """);
        await cluster.StartSilo();
        cluster.StartTrainingWorker("j1");
        cluster.StartTrainingWorker("j2");
        var id = await cluster.Submit(file, "jigsaw");

        var status = await cluster.WaitUntilFinished(id, 600);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        Assert.Equal("complete", status.GetProperty("ensemble_status").GetString());
        var report = EnsembleReport.Load(Path.Combine(cluster.ArtifactsRoot, id, "ensemble", "ensemble.json"));
        Assert.Equal("MultiLabel", report.Task);
        Assert.Equal(labels, report.ClassNames);
        Assert.Equal(6, report.Thresholds.Count);
        foreach (var row in report.Rows)
        {
            Assert.Equal(labels.Order(), row.RocAucByLabel!.Keys.Order());
            Assert.All(row.RocAucByLabel.Values, auc => Assert.InRange(auc, 0, 1));
            Assert.Equal(labels.Order(), row.Confusion.Keys.Order());
        }
        // Predictions for new comments: one probability per label.
        var input = Path.Combine(cluster.Directory, "comments.csv");
        File.WriteAllText(input, "id,comment_text\na1,you are a wonderful person\na2,\"shut up, you idiot\"\n");
        var output = Path.Combine(cluster.Directory, "jigsaw-submission.csv");
        await Sweep.Ok("predict", id, "--input", input, "--output", output, "--artifacts", cluster.ArtifactsRoot);
        var lines = File.ReadAllLines(output);
        Assert.Equal("id," + string.Join(',', labels), lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.All(l.Split(',').Skip(1), p => Assert.InRange(double.Parse(p, CultureInfo.InvariantCulture), 0, 1)));
    }

    /// <summary>Whole CSV records (a quoted field may span lines), header first.</summary>
    private static IEnumerable<string> ReadCsvRecords(string path)
    {
        var record = new System.Text.StringBuilder();
        var quotes = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (record.Length > 0) record.Append('\n');
            record.Append(line);
            quotes += line.Count(c => c == '"');
            if (quotes % 2 != 0) continue;
            yield return record.ToString();
            record.Clear();
            quotes = 0;
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
