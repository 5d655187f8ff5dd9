using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Tokenization;
using static TorchSharp.torch;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Training.Tests.Models;

public sealed class BertTests
{
    static BertTests() => TorchRuntime.EnsureLoadable();

    private static string Tokenizers(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, "shared/models/tokenizers", name))) return Path.Combine(dir.FullName, "shared/models/tokenizers", name);
        throw new DirectoryNotFoundException(name);
    }

    private static BackboneConfig Tiny(int vocab = 100, int hidden = 32, int layers = 1) => new()
    {
        ModelType = "bert", VocabSize = vocab, HiddenSize = hidden, Layers = layers, Heads = 2, IntermediateSize = hidden * 2, MaxPositions = 64,
    };

    [Fact]
    public void State_dict_keys_are_the_hugging_face_names()
    {
        using var model = new BertForSequenceClassification(Tiny(), 2);
        var layer = new[]
        {
            "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
            "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm",
        }.SelectMany(m => new[] { $"bert.encoder.layer.0.{m}.weight", $"bert.encoder.layer.0.{m}.bias" });
        var expected = new[]
        {
            "bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight", "bert.embeddings.token_type_embeddings.weight",
            "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias",
        }.Concat(layer).Concat(["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"]);
        Assert.Equal(expected.Order(), model.state_dict().Keys.Order());
    }

    [Fact]
    public void Real_configs_build_with_the_parameter_count_the_architecture_implies()
    {
        foreach (var name in new[] { "all-MiniLM-L6-v2", "bert-tiny-emotion-config" })
        {
            var config = BackboneConfig.Load(Tokenizers(name));
            using var model = new BertForSequenceClassification(config, 2);
            long h = config.HiddenSize, i = config.IntermediateSize;
            var embeddings = (config.VocabSize + config.MaxPositions + config.TypeVocabSize) * h + 2 * h;
            var perLayer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h;
            var expected = embeddings + config.Layers * perLayer + (h * h + h) + (h * 2 + 2);
            Assert.Equal(expected, model.parameters().Sum(p => p.numel()));
        }
        Assert.Equal(6, BackboneConfig.Load(Tokenizers("all-MiniLM-L6-v2")).Layers);
    }

    [Fact]
    public void Padding_does_not_change_the_logits()
    {
        manual_seed(1);
        using var model = new BertForSequenceClassification(Tiny(layers: 2), 3);
        model.eval();
        using var ids = tensor(new long[] { 1, 5, 9, 7, 2 }, [1, 5]);
        using var mask = ones_like(ids);
        using var padded = tensor(new long[] { 1, 5, 9, 7, 2, 0, 0, 0 }, [1, 8]);
        using var paddedMask = tensor(new long[] { 1, 1, 1, 1, 1, 0, 0, 0 }, [1, 8]);
        using var a = model.forward(ids, mask);
        using var b = model.forward(padded, paddedMask);
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-5), $"{a.ToString(TorchSharp.TensorStringStyle.Julia)} vs {b.ToString(TorchSharp.TensorStringStyle.Julia)}");
        Assert.Equal(new long[] { 1, 3 }, a.shape);
    }

    [Fact]
    public async Task A_tiny_random_bert_learns_the_extremism_task_from_real_tokens()
    {
        manual_seed(11);
        var folder = Tokenizers("all-MiniLM-L6-v2");
        var data = LabelledDataset.Load(new DataSettings
        {
            Train = "", TextColumn = "Original_Message", LabelColumns = ["Extremism_Label"],
            LabelMap = new Dictionary<string, int> { ["NON_EXTREMIST"] = 0, ["EXTREMIST"] = 1 },
        }, Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(folder))!, "..", "data", "extremism", "train.csv"));
        var encoder = WordPieceEncoder.Load(folder);
        var rows = new TokenizedRows(data.Texts.Select(t => encoder.Encode(t, 48)).ToList(), encoder.PadTokenId);
        var fold = DataSplits.Stratified(data.Strata(), 0.0, 1, seed: 5).Folds[0];
        // No dropout: its masks would come from the global generator, which tests running alongside share.
        var config = (BackboneConfig.Load(folder) with { HiddenSize = 64, Layers = 2, Heads = 2, IntermediateSize = 128 }).WithDropout(0);
        using var model = new BertForSequenceClassification(config, 2);
        var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 1e-3, ["warmup_ratio"] = 0.1 },
            new TrainingSettings { Epochs = 8, BatchSize = 32, EarlyStoppingPatience = 8 });
        var epochs = new List<EpochResult>();

        var result = await new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                Rows = rows, Targets = data.Targets, Train = fold.Train, Validation = fold.Validation, Seed = 2, Label = "tiny-bert",
            }, e => { epochs.Add(e); return Task.FromResult(true); }, TestContext.Current.CancellationToken);

        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss, $"train loss {string.Join(" → ", epochs.Select(e => e.TrainLoss.ToString("0.000")))}");
        Assert.True(result.BestMetric > 0.70, $"validation accuracy {result.BestMetric:0.000} (chance ≈ 0.51)");
    }
}
