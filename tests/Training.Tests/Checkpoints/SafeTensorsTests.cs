using System.Diagnostics;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests.Checkpoints;

public sealed class SafeTensorsTests : IDisposable
{
    static SafeTensorsTests() => TorchRuntime.EnsureLoadable();

    private readonly string _dir = Directory.CreateTempSubdirectory("sweep-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static BackboneConfig Tiny() => new() { ModelType = "bert", VocabSize = 50, HiddenSize = 16, Layers = 1, Heads = 2, IntermediateSize = 32, MaxPositions = 32 };

    /// <summary>A file written by an independent writer: Python's json and struct, following the published format.</summary>
    private string PythonWritten()
    {
        var path = Path.Combine(_dir, "python.safetensors");
        const string script = """
            import json, struct, sys
            f32 = struct.pack('<6f', 1.5, -2.0, 3.25, 0.0, 1e-3, 42.0)
            i64 = struct.pack('<3q', -7, 0, 9007199254740993)
            f16 = struct.pack('<2e', 0.5, -1.0)
            b = bytes([1, 0, 1])
            header = {"__metadata__": {"format": "pt"},
                      "weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                      "ids": {"dtype": "I64", "shape": [3], "data_offsets": [24, 48]},
                      "half": {"dtype": "F16", "shape": [2], "data_offsets": [48, 52]},
                      "flags": {"dtype": "BOOL", "shape": [3], "data_offsets": [52, 55]}}
            h = json.dumps(header).encode()
            with open(sys.argv[1], 'wb') as out:
                out.write(struct.pack('<Q', len(h))); out.write(h); out.write(f32 + i64 + f16 + b)
            """;
        var start = new ProcessStartInfo("python3", ["-c", script, path]) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
        return path;
    }

    [Fact]
    public void A_file_from_an_independent_writer_reads_exactly()
    {
        var tensors = SafeTensors.Read(PythonWritten());
        Assert.Equal([1.5f, -2f, 3.25f, 0f, 1e-3f, 42f], tensors["weight"].data<float>().ToArray());
        Assert.Equal(new long[] { 2, 3 }, tensors["weight"].shape);
        Assert.Equal([-7L, 0L, 9007199254740993L], tensors["ids"].data<long>().ToArray());
        Assert.Equal([0.5f, -1f], tensors["half"].to(float32).data<float>().ToArray());
        Assert.Equal([true, false, true], tensors["flags"].data<bool>().ToArray());
        Assert.Equal(4, tensors.Count);
    }

    [Fact]
    public void Our_writer_round_trips_a_models_state()
    {
        manual_seed(3);
        using var model = new BertForSequenceClassification(Tiny(), 2);
        var path = Path.Combine(_dir, "model.safetensors");
        SafeTensors.Write(path, model.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
        var back = SafeTensors.Read(path);
        Assert.Equal(model.state_dict().Keys.Order(), back.Keys.Order());
        foreach (var (key, tensor) in model.state_dict()) Assert.True(tensor.allclose(back[key], rtol: 0, atol: 0), key);
    }

    [Fact]
    public void A_base_checkpoint_loads_by_name_and_the_new_head_is_reported()
    {
        manual_seed(4);
        using var source = new BertForSequenceClassification(Tiny(), 2);
        // Saved like a base-model checkpoint: no "bert." prefix and no classifier.
        var baseKeys = source.state_dict().Where(kv => kv.Key.StartsWith("bert.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["bert.".Length..], kv => kv.Value);
        SafeTensors.Write(Path.Combine(_dir, "model.safetensors"), baseKeys);

        manual_seed(5);
        using var target = new BertForSequenceClassification(Tiny(), 2);
        var report = CheckpointLoader.Load(target, _dir);
        Assert.Equal(["classifier.bias", "classifier.weight"], report.NewlyInitialised);
        Assert.Equal(baseKeys.Count, report.Loaded);
        Assert.True(target.state_dict()["bert.encoder.layer.0.attention.self.query.weight"].allclose(source.state_dict()["bert.encoder.layer.0.attention.self.query.weight"], rtol: 0, atol: 0));
    }

    [Fact]
    public void Pretraining_heads_are_dropped_and_a_head_for_other_labels_is_replaced_and_both_are_said()
    {
        manual_seed(6);
        using var source = new BertForSequenceClassification(Tiny(), 6);
        var weights = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        weights["cls.predictions.bias"] = zeros(50);
        weights["cls.predictions.transform.dense.weight"] = zeros(16, 16);
        weights["bert.embeddings.position_ids"] = arange(32, dtype: int64).unsqueeze(0);
        SafeTensors.Write(Path.Combine(_dir, "model.safetensors"), weights);

        using var target = new BertForSequenceClassification(Tiny(), 2);
        var report = CheckpointLoader.Load(target, _dir);
        Assert.Equal(["bert.embeddings.position_ids", "cls.predictions.bias", "cls.predictions.transform.dense.weight"], report.Ignored);
        Assert.Equal(["classifier.bias", "classifier.weight"], report.NewlyInitialised.Order());
        Assert.Equal([2L, 16L], target.state_dict()["classifier.weight"].shape);
    }

    [Fact]
    public void Missing_unexpected_and_misshapen_keys_are_each_named()
    {
        using var source = new BertForSequenceClassification(Tiny(), 2);
        var weights = source.state_dict().Where(kv => kv.Key != "bert.encoder.layer.0.output.dense.bias").ToDictionary(kv => kv.Key, kv => kv.Value);
        weights["bert.extra.weight"] = zeros(2);
        weights["bert.embeddings.word_embeddings.weight"] = zeros(49, 16);
        SafeTensors.Write(Path.Combine(_dir, "model.safetensors"), weights);
        using var target = new BertForSequenceClassification(Tiny(), 2);
        var e = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Load(target, _dir));
        Assert.Contains("missing key 'bert.encoder.layer.0.output.dense.bias'", e.Message);
        Assert.Contains("unexpected key 'bert.extra.weight'", e.Message);
        Assert.Contains("key 'bert.embeddings.word_embeddings.weight' has shape [49, 16], the model expects [50, 16]", e.Message);
    }

    [Fact]
    public void Truncated_and_absent_files_are_named()
    {
        var path = PythonWritten();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        Assert.Contains("python.safetensors: tensor", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path)).Message);
        File.WriteAllBytes(path, bytes[..20]);
        Assert.Contains("runs past the end of the file", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path)).Message);

        using var model = new BertForSequenceClassification(Tiny(), 2);
        Assert.Contains("no model.safetensors or pytorch_model.bin", Assert.Throws<FileNotFoundException>(() => CheckpointLoader.Load(model, _dir)).Message);
    }
}
