using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using SweepCluster.Training.Data;
using SweepCluster.Search.Sampling;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.FineTuning;

/// <summary>
/// The fold trainer on the real extremism data with a small bag-of-embeddings classifier: the training
/// loop (optimiser groups, schedule, accumulation, clipping, validation, early stopping, pruning stop)
/// is what is under test here, not a backbone.
/// </summary>
public sealed class FoldTrainerTests
{
    static FoldTrainerTests() => TorchRuntime.EnsureLoadable();

    /// <summary>Mean of token embeddings under the mask, then a linear head; names like a backbone's so depths resolve.</summary>
    private sealed class BagClassifier : SequenceClassificationModel
    {
        private readonly TorchSharp.Modules.Embedding word_embeddings;
        private readonly TorchSharp.Modules.Linear classifier;

        public BagClassifier(long vocabulary, long dim, long outputs) : base("bag", "bag", 0, (int)outputs)
        {
            word_embeddings = nn.Embedding(vocabulary, dim);
            classifier = nn.Linear(dim, outputs);
            RegisterComponents();
            // Initialised from a generator of its own: the global one is shared with the tests running alongside.
            using var generator = new Generator(17);
            using var _ = no_grad();
            foreach (var p in parameters()) p.copy_(randn(p.shape, generator: generator) * 0.1);
        }

        public override Tensor forward(Tensor ids, Tensor mask)
        {
            var embedded = word_embeddings.forward(ids);
            var m = mask.unsqueeze(-1).to(embedded.dtype);
            var pooled = (embedded * m).sum(1) / m.sum(1).clamp_min(1);
            return classifier.forward(pooled);
        }
    }

    private static (TokenizedRows Rows, int[] Labels) Extremism()
    {
        // A stand-in tokeniser: [CLS]=1, then each word hashed into 4,096 buckets (stable FNV-1a).
        var ids = ExtremismData.Texts.Select(t => (long[])[1, .. t.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(64).Select(w => 2 + (long)(Fnv(w) % 4096))]).ToList();
        return (new TokenizedRows(ids, PadTokenId: 0), ExtremismData.Labels);
    }

    private static ulong Fnv(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }

    [Fact]
    public async Task A_fold_learns_the_task_and_reports_every_epoch()
    {
        random.manual_seed(7);
        var (rows, labels) = Extremism();
        var validation = Enumerable.Range(0, labels.Length).Where(i => i % 5 == 0).ToArray();
        var train = Enumerable.Range(0, labels.Length).Where(i => i % 5 != 0).ToArray();
        using var model = new BagClassifier(4100, 32, 2);
        var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 0.01, ["head_learning_rate"] = 0.01, ["gradient_accumulation_steps"] = 2L },
            new TrainingSettings { Epochs = 4, BatchSize = 32, EarlyStoppingPatience = 4 });
        var epochs = new List<EpochResult>();
        var shares = new List<(int Epoch, double Done)>();

        var result = await new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = train, Validation = validation, Seed = 3, Label = "test",
            }, e => { epochs.Add(e); return Task.FromResult(true); },
            TestContext.Current.CancellationToken,
            duringEpoch: (epoch, done) => { shares.Add((epoch, done)); return Task.CompletedTask; });

        Assert.Equal(4, epochs.Count);
        // 4 epochs of ⌈train / 32⌉ batches, called every 20 batches and after the last: each epoch's shares rise to exactly 1.
        var batches = (train.Length + 31) / 32;
        var perEpoch = batches / 20 + (batches % 20 == 0 ? 0 : 1);
        Assert.Equal(4 * perEpoch, shares.Count);
        for (var epoch = 1; epoch <= 4; epoch++)
        {
            var ofEpoch = shares.Where(s => s.Epoch == epoch).Select(s => s.Done).ToList();
            Assert.Equal(1.0, ofEpoch[^1]);
            if (perEpoch > 1) Assert.Equal(20.0 / batches, ofEpoch[0], 12);
            Assert.True(ofEpoch.Zip(ofEpoch.Skip(1)).All(p => p.First < p.Second));
        }
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss * 0.8, $"train loss {epochs[0].TrainLoss:0.000} → {epochs[^1].TrainLoss:0.000}");
        Assert.True(result.BestMetric > 0.75, $"validation accuracy {result.BestMetric:0.000}");
        Assert.Equal(validation.Length, result.BestProbabilities.Length);
        Assert.All(result.BestProbabilities, p => Assert.Equal(1.0, p.Sum(), 6));
    }

    [Fact]
    public async Task Mixed_precision_computes_in_bfloat16_updates_float32_masters_and_still_learns()
    {
        random.manual_seed(7);
        var (rows, labels) = Extremism();
        var validation = Enumerable.Range(0, labels.Length).Where(i => i % 5 == 0).ToArray();
        var train = Enumerable.Range(0, labels.Length).Where(i => i % 5 != 0).ToArray();
        using var model = new BagClassifier(4100, 32, 2);
        var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 0.01, ["head_learning_rate"] = 0.01 },
            new TrainingSettings { Epochs = 4, BatchSize = 32, EarlyStoppingPatience = 4 });
        var losses = new List<double>();

        var result = await new FoldTrainer(NullLogger.Instance) { Precision = TrainingPrecision.BFloat16Mixed }.RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = train, Validation = validation, Seed = 3, Label = "bf16",
            }, e => { losses.Add(e.TrainLoss); return Task.FromResult(true); },
            TestContext.Current.CancellationToken);

        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.True(losses[^1] < losses[0] * 0.8, $"train loss {string.Join(" → ", losses.Select(l => l.ToString("0.000")))}");
        Assert.True(result.BestMetric > 0.75, $"validation accuracy {result.BestMetric:0.000}");
    }

    [Fact]
    public async Task Every_family_trains_an_epoch_in_mixed_precision()
    {
        var (rows, labels) = Extremism();
        var small = new TokenizedRows(rows.Ids.Take(96).Select(r => r.Select(id => id % 300).ToArray()).ToList(), 0);
        foreach (var name in new[] { "bert", "distilbert", "roberta", "electra", "deberta-v3", "deberta-v2" })
        {
            var config = BackboneConfig.Load(Models.HuggingFaceFixtures.Folder(name));
            using var model = SequenceClassifier.Create(config.Family, config, 2);
            var hp = TrialHyperparameters.From(new Dictionary<string, object>(), new TrainingSettings { Epochs = 1, BatchSize = 16 });
            var result = await new FoldTrainer(NullLogger.Instance) { Precision = TrainingPrecision.BFloat16Mixed }.RunAsync(model, CPU, new FoldRun
                {
                    Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                    Rows = small, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = Enumerable.Range(0, 64).ToArray(), Validation = Enumerable.Range(64, 32).ToArray(), Seed = 1, Label = name,
                },
                e => { Assert.True(double.IsFinite(e.TrainLoss), $"{name}: loss {e.TrainLoss}"); return Task.FromResult(true); }, TestContext.Current.CancellationToken);
            Assert.All(result.BestProbabilities, p => Assert.Equal(1.0, p.Sum(), 2));
        }
    }

    /// <summary>
    /// ROC-AUC needs both classes among the validation rows (scikit-learn's roc_auc_score raises "Only one
    /// class present in y_true"): a fold validating on one class ends with a named failure, not a NaN value.
    /// </summary>
    [Fact]
    public async Task An_undefined_validation_metric_fails_the_fold_by_name_and_reports_nothing()
    {
        var (rows, labels) = Extremism();
        using var model = new BagClassifier(4100, 8, 2);
        var hp = TrialHyperparameters.From(new Dictionary<string, object>(), new TrainingSettings { Epochs = 2, BatchSize = 64 });
        var oneClass = Enumerable.Range(0, labels.Length).Where(i => labels[i] == 1).Take(20).ToArray();
        var train = Enumerable.Range(0, labels.Length).Except(oneClass).Take(300).ToArray();
        var reported = 0;
        var error = await Assert.ThrowsAsync<NonFiniteMetricException>(() => new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("roc_auc", StudyDirection.Maximize),
                Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = train, Validation = oneClass, Seed = 1, Label = "trial 3 fold 2/2",
            }, _ => Task.FromResult(++reported > 0),
            TestContext.Current.CancellationToken));
        Assert.Equal(0, reported);
        Assert.Contains("trial 3 fold 2/2 epoch 1: roc_auc is undefined", error.Message);
        Assert.Contains("20 validation rows", error.Message);
    }

    /// <summary>A learning rate of 1e30 overflows the weights in the first steps: the loss is not finite, and the fold says it diverged.</summary>
    [Fact]
    public async Task A_diverged_fold_fails_by_name_instead_of_reporting_NaN()
    {
        var (rows, labels) = Extremism();
        using var model = new BagClassifier(4100, 8, 2);
        var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 1e30, ["head_learning_rate"] = 1e30, ["max_grad_norm"] = 1e30 },
            new TrainingSettings { Epochs = 2, BatchSize = 16 });
        var reported = 0;
        var error = await Assert.ThrowsAsync<NonFiniteMetricException>(() => new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = Enumerable.Range(0, 400).ToArray(), Validation = Enumerable.Range(400, 100).ToArray(), Seed = 1, Label = "test",
            }, _ => Task.FromResult(++reported > 0),
            TestContext.Current.CancellationToken));
        Assert.Equal(0, reported);
        Assert.Contains("training diverged", error.Message);
    }

    [Fact]
    public async Task A_prune_answer_stops_the_fold_after_that_epoch()
    {
        var (rows, labels) = Extremism();
        using var model = new BagClassifier(4100, 8, 2);
        var hp = TrialHyperparameters.From(new Dictionary<string, object>(), new TrainingSettings { Epochs = 5, BatchSize = 64 });
        var seen = 0;
        var result = await new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("f1", StudyDirection.Maximize),
                Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = Enumerable.Range(0, 400).ToArray(), Validation = Enumerable.Range(400, 100).ToArray(), Seed = 1, Label = "test",
            }, _ => Task.FromResult(++seen < 2),
            TestContext.Current.CancellationToken);
        Assert.Equal(2, seen);
        Assert.True(result.Stopped);
        Assert.Equal(2, result.EpochsRun);
    }

    [Fact]
    public void The_head_gets_its_own_rate_and_lower_layers_decayed_rates()
    {
        var config = BackboneConfig.Parse("""
            {"model_type": "bert", "vocab_size": 30, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 16}
            """);
        using var model = SequenceClassifier.Create(BackboneFamily.Bert, config, 2);
        var hp = new TrialHyperparameters { LearningRate = 1e-3, HeadLearningRate = 5e-3, LayerDecay = 0.5 };
        using var optimizer = FoldTrainer.CreateOptimizer(model, hp);
        var rates = optimizer.ParamGroups.Select(g => g.LearningRate).Distinct().Order().ToArray();
        // embeddings 1e-3·0.5³, layer 0 ·0.5², layer 1 ·0.5, head (classifier and pooler) 5e-3
        Assert.Equal([1e-3 * 0.125, 1e-3 * 0.25, 1e-3 * 0.5, 5e-3], rates, (a, b) => Math.Abs(a - b) < 1e-12);
    }
}
