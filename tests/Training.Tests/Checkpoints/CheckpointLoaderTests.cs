using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Tests.Tokenization;
using static TorchSharp.torch;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Tests.Checkpoints;

/// <summary>
/// Legacy key names in checkpoints, as transformers accepts them: the original bert-base-uncased
/// pytorch_model.bin names its norms "LayerNorm.gamma" / "LayerNorm.beta" (converted from TensorFlow),
/// and transformers loads them as weight / bias (PreTrainedModel._fix_state_dict_key_on_load).
/// </summary>
public sealed class CheckpointLoaderTests : IDisposable
{
    static CheckpointLoaderTests() => TorchRuntime.EnsureLoadable();

    private readonly string _folder = Directory.CreateTempSubdirectory("checkpoint-loader-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>A tiny random BERT checkpoint, then the same weights under other key names in a second folder.</summary>
    private (string Original, string Renamed, BackboneConfig Config) Checkpoints(Func<string, IEnumerable<string>> rename)
    {
        var original = Path.Combine(_folder, "original");
        var config = RandomCheckpoint.Create(BackboneFamily.Bert, TokenizerFiles.Find("shared/models/tokenizers/bert-tiny-emotion-config"), original, new CheckpointShape(), seed: 5);
        var renamed = Path.Combine(_folder, "renamed");
        Directory.CreateDirectory(renamed);
        foreach (var file in Directory.EnumerateFiles(original).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(renamed, Path.GetFileName(file)));
        var weights = SafeTensors.Read(Path.Combine(original, "model.safetensors"));
        var legacy = new Dictionary<string, Tensor>();
        foreach (var (key, tensor) in weights)
            foreach (var name in rename(key)) legacy[name] = tensor;
        SafeTensors.Write(Path.Combine(renamed, "model.safetensors"), legacy);
        foreach (var t in weights.Values) t.Dispose();
        return (original, renamed, config);
    }

    private static string TensorFlowNames(string key) =>
        key.EndsWith("LayerNorm.weight", StringComparison.Ordinal) ? key[..^"weight".Length] + "gamma"
        : key.EndsWith("LayerNorm.bias", StringComparison.Ordinal) ? key[..^"bias".Length] + "beta"
        : key;

    [Fact]
    public void LayerNorm_gamma_and_beta_load_as_weight_and_bias_with_the_same_values()
    {
        var (original, renamed, config) = Checkpoints(k => [TensorFlowNames(k)]);
        Assert.Contains(SafeTensors.Read(Path.Combine(renamed, "model.safetensors")).Keys, k => k.EndsWith("LayerNorm.gamma", StringComparison.Ordinal));

        using var expected = SequenceClassifier.Create(BackboneFamily.Bert, config, 2);
        using var actual = SequenceClassifier.Create(BackboneFamily.Bert, config, 2);
        CheckpointLoader.Load(expected, original);
        var check = CheckpointLoader.Check(actual, renamed);
        var report = CheckpointLoader.Load(actual, renamed);

        Assert.Equal(report.Loaded, check.Loaded);
        Assert.Empty(report.Ignored);
        var want = expected.state_dict();
        foreach (var (key, tensor) in actual.state_dict())
            if (!key.StartsWith("classifier.", StringComparison.Ordinal))
                Assert.True(tensor.equal(want[key]).all().item<bool>(), $"{key} differs from the original checkpoint's");
        // Every LayerNorm of the model came from a gamma/beta key: embeddings' and each layer's two.
        Assert.Equal(2 * (1 + 2 * config.Layers), actual.state_dict().Keys.Count(k => k.Contains("LayerNorm", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_checkpoint_with_both_names_for_one_parameter_is_refused_naming_both()
    {
        var (_, renamed, config) = Checkpoints(k => k == "bert.embeddings.LayerNorm.weight" ? [k, "bert.embeddings.LayerNorm.gamma"] : [k]);
        using var model = SequenceClassifier.Create(BackboneFamily.Bert, config, 2);
        var error = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Check(model, renamed));
        Assert.Contains("keys 'bert.embeddings.LayerNorm.gamma' and 'bert.embeddings.LayerNorm.weight' both hold 'bert.embeddings.LayerNorm.weight'", error.Message);
    }

    [Fact]
    public void Check_names_a_key_no_rule_maps_without_loading_anything()
    {
        var (_, renamed, config) = Checkpoints(k => [k.Replace("attention.self.query", "attention.self.q_proj", StringComparison.Ordinal)]);
        using var model = SequenceClassifier.Create(BackboneFamily.Bert, config, 2);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var error = Assert.Throws<InvalidDataException>(() => CheckpointLoader.Check(model, renamed));
        Assert.Contains("unexpected key 'bert.encoder.layer.0.attention.self.q_proj.weight'", error.Message);
        Assert.Contains("missing key 'bert.encoder.layer.0.attention.self.query.weight'", error.Message);
        Assert.All(model.state_dict(), kv => Assert.True(kv.Value.equal(before[kv.Key]).all().item<bool>()));
    }
}
