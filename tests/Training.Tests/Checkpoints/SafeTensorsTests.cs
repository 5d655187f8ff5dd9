using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
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

    /// <summary>
    /// A file laid out by hand per the documented format: 8-byte little-endian header length, the JSON
    /// header, then <paramref name="data"/>.
    /// </summary>
    private string HandBuilt(string name, string header, byte[] data)
    {
        var path = Path.Combine(_dir, name);
        var json = Encoding.UTF8.GetBytes(header);
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        file.Write(data);
        return path;
    }

    [Fact]
    public void A_hand_built_file_reads_exactly()
    {
        // IEEE-754 by hand: 1.0f = 0x3F800000, -2.5f = 0xC0200000; bfloat16 -2.0 = 0xC000; int64 -2 = 0xFF..FE; all little-endian.
        var path = HandBuilt("hand.safetensors",
            """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[8,10]},"c":{"dtype":"I64","shape":[1],"data_offsets":[10,18]}}""",
            [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x00, 0xC0, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        var tensors = SafeTensors.Read(path);
        Assert.Equal([1f, -2.5f], tensors["a"].data<float>().ToArray());
        Assert.Equal(new long[] { 1, 2 }, tensors["a"].shape);
        Assert.Equal(ScalarType.BFloat16, tensors["b"].dtype);
        Assert.Equal([-2f], tensors["b"].to(float32).data<float>().ToArray());
        Assert.Equal([-2L], tensors["c"].data<long>().ToArray());
        Assert.Equal(3, tensors.Count);
    }

    [Fact]
    public void A_tensor_stored_past_2_GiB_reads_exactly_from_a_sparse_file()
    {
        // "far" starts 2^31 + 8 bytes into the data; the hole before it is never written, so the file costs a few KiB of disk.
        const long far = (1L << 31) + 8;
        var path = HandBuilt("sparse.safetensors",
            $$$"""{"near":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"far":{"dtype":"F32","shape":[3],"data_offsets":[{{{far}}},{{{far + 12}}}]}}""",
            [0x00, 0x00, 0x00, 0x3F]); // near = 0.5f (0x3F000000)
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            // 1.0f, -2.5f, 3.0f (0x40400000), little-endian, at data start (the file's end less near's 4 bytes) + 2^31 + 8.
            file.Seek(file.Length - 4 + far, SeekOrigin.Begin);
            file.Write([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x00, 0x00, 0x40, 0x40]);
        }
        Assert.True(new FileInfo(path).Length > 1L << 31);
        var tensors = SafeTensors.Read(path);
        Assert.Equal([0.5f], tensors["near"].data<float>().ToArray());
        Assert.Equal([1f, -2.5f, 3f], tensors["far"].data<float>().ToArray());
    }

    [Fact]
    public void Our_writer_streams_the_documented_layout_and_chunked_reads_restore_it()
    {
        var path = Path.Combine(_dir, "chunks.safetensors");
        using var w = tensor(new[] { 1f, -2.5f, 3f, 0.5f, 0f });
        // 8-byte chunks: the five floats go out, and come back, in pieces of two, two and one.
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["w"] = w }, new Dictionary<string, string> { ["format"] = "pt" }, chunkBytes: 8);

        const string header = """{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[5],"data_offsets":[0,20]}}""";
        var padded = (header.Length + 7) / 8 * 8; // the header is padded with spaces to keep the data 8-byte aligned
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes((ulong)padded));
        expected.AddRange(Encoding.UTF8.GetBytes(header.PadRight(padded)));
        expected.AddRange([0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x20, 0xC0, 0x00, 0x00, 0x40, 0x40, 0x00, 0x00, 0x00, 0x3F, 0x00, 0x00, 0x00, 0x00]);
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));

        using var file = SafeTensors.Open(path, chunkBytes: 8);
        using var back = file.Read("w");
        Assert.Equal([1f, -2.5f, 3f, 0.5f, 0f], back.data<float>().ToArray());
    }

    [Fact]
    public void Overlapping_ranges_and_malformed_headers_are_named_with_the_file()
    {
        var overlap = HandBuilt("overlap.safetensors",
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]);
        Assert.Contains("overlap.safetensors: tensors 'a' [0, 8] and 'b' [4, 8] overlap", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(overlap)).Message);

        var dtype = HandBuilt("dtype.safetensors", """{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""", new byte[8]);
        Assert.Contains("dtype.safetensors: tensor 'a' has unsupported dtype C64", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(dtype)).Message);

        var shape = HandBuilt("shape.safetensors", """{"a":{"dtype":"F32","data_offsets":[0,4]}}""", new byte[4]);
        Assert.Contains("shape.safetensors: tensor 'a' has no shape", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(shape)).Message);

        var misfit = HandBuilt("misfit.safetensors", """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[12]);
        Assert.Contains("misfit.safetensors: tensor 'a' (F32 3) has a byte range [0, 8] that does not fit its shape (12 bytes)", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(misfit)).Message);

        // A header length over the format's 100,000,000-byte limit, in a sparse file long enough to hold it.
        var huge = Path.Combine(_dir, "huge.safetensors");
        using (var file = File.Create(huge))
        {
            file.Write(BitConverter.GetBytes(100_000_001UL));
            file.SetLength(100_000_100);
        }
        Assert.Contains("over the format's limit", Assert.Throws<InvalidDataException>(() => SafeTensors.Read(huge)).Message);
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
