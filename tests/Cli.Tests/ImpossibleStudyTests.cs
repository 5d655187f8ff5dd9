using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Runtime;
using static TorchSharp.torch;
using SweepCluster.Vocabulary;

namespace SweepCluster.Cli.Tests;

/// <summary>
/// Studies that every trial would fail on are refused by `sweep submit --check` with exit 2 and the file,
/// column, class or key named, before anything is stored (issue 10, kind 3); studies that run but not
/// quite as written pass with a note.
/// </summary>
public sealed class ImpossibleStudyTests : IDisposable
{
    static ImpossibleStudyTests() => TorchRuntime.EnsureLoadable();

    private readonly TempDirectory _dir = new();
    private readonly string _checkpoint;

    public ImpossibleStudyTests()
    {
        _checkpoint = Path.Combine(_dir.Path, "bert-tiny");
        RandomCheckpoint.Create(BackboneFamily.Bert, Shared("models/tokenizers/bert-tiny-emotion-config"), _checkpoint, new CheckpointShape { MaxPositions = 64 }, seed: 1);
    }

    public void Dispose() => _dir.Dispose();

    private static string Shared(string relative)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (Path.Exists(Path.Combine(d.FullName, "shared", relative))) return Path.Combine(d.FullName, "shared", relative);
        throw new FileNotFoundException(relative);
    }

    /// <summary>A copy of the test checkpoint whose tensors are saved under other names.</summary>
    private string Renamed(string name, Func<string, string> rename)
    {
        var folder = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.EnumerateFiles(_checkpoint).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var weights = SafeTensors.Read(Path.Combine(_checkpoint, "model.safetensors"));
        SafeTensors.Write(Path.Combine(folder, "model.safetensors"), weights.ToDictionary(kv => rename(kv.Key), kv => kv.Value));
        foreach (var t in weights.Values) t.Dispose();
        return folder;
    }

    private static (int ExitCode, string Out, string Error) Check(string study)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = SweepCli.Run(["submit", study, "--check"], new CliIO(new StringReader(""), output, error));
        return (exitCode, output.ToString(), error.ToString());
    }

    private string Data(IEnumerable<string> labels)
    {
        var path = _dir.File($"data-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, ["text,label", .. labels.Select((l, i) => $"message number {i} with some words,{l}")]);
        return path;
    }

    private string Study(string data, string extra = "", string checkpoint = "", string labelMap = "", string backbone = "",
        string space = "learning_rate: {type: float, low: 1.0e-5, high: 1.0e-3, log: true}")
    {
        var yaml = $$"""
            name: door
            data: {train: {{data}}, text_column: text, label_column: label{{labelMap}}}
            budget: {trials_per_backbone: 2}
            workload: {kind: train}
            {{extra}}
            search_space:
              {{space}}
            backbones:
              - {name: b, family: bert, checkpoint: {{(checkpoint == "" ? _checkpoint : checkpoint)}}{{backbone}}}
            """;
        return _dir.File($"study-{Guid.NewGuid():N}.yaml", yaml);
    }

    private static void Refused(string study, params string[] mentions)
    {
        var (exitCode, output, error) = Check(study);
        Assert.True(exitCode == ExitCodes.Usage, $"exit {exitCode}\n{output}{error}");
        Assert.Equal("", output);
        Assert.Contains("the study cannot run", error);
        foreach (var m in mentions) Assert.Contains(m, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Labels_0_and_2_without_a_label_map() =>
        Refused(Study(Data(Enumerable.Range(0, 30).Select(i => i % 2 == 0 ? "0" : "2"))), "column 'label'", "class 1 has no rows (the rows have 0, 2)");

    [Fact]
    public void Fourteen_rows_of_one_class_with_a_label_map() =>
        Refused(Study(Data(Enumerable.Repeat("NON_EXTREMIST", 14)), labelMap: ", label_map: {NON_EXTREMIST: 0, EXTREMIST: 1}"),
            "only one class occurs ('NON_EXTREMIST', 14 rows)");

    [Fact]
    public void One_positive_in_fourteen_rows_with_five_folds_and_roc_auc() =>
        Refused(Study(Data(Enumerable.Range(0, 14).Select(i => i == 3 ? "1" : "0")), "cv_folds: 5\nobjective: {metric: roc_auc, direction: maximize}"),
            "class '1' has 1 rows outside the held-out set (1 in all, 0 held out), fewer than cv_folds 5");

    [Fact]
    public void Fourteen_rows_with_twenty_folds() =>
        Refused(Study(Data(Enumerable.Range(0, 14).Select(i => (i % 2).ToString())), "cv_folds: 20"), "cv_folds 20 needs at least 20 rows to validate on");

    [Fact]
    public void A_checkpoint_with_a_tensor_no_rule_maps_is_refused_naming_the_key()
    {
        var renamed = Renamed("renamed", key => key.Replace("attention.self.key", "attention.self.k_proj", StringComparison.Ordinal));
        Refused(Study(Data(Enumerable.Range(0, 40).Select(i => (i % 2).ToString())), checkpoint: renamed),
            "unexpected key 'bert.encoder.layer.0.attention.self.k_proj.weight'", "missing key 'bert.encoder.layer.0.attention.self.key.weight'");
    }

    [Fact]
    public void A_checkpoint_with_TensorFlow_norm_names_passes()
    {
        var legacy = Renamed("legacy", key =>
            key.Replace("LayerNorm.weight", "LayerNorm.gamma", StringComparison.Ordinal).Replace("LayerNorm.bias", "LayerNorm.beta", StringComparison.Ordinal));
        var (exitCode, output, error) = Check(Study(Data(Enumerable.Range(0, 40).Select(i => (i % 2).ToString())), checkpoint: legacy));
        Assert.True(exitCode == ExitCodes.Ok, $"exit {exitCode}\n{output}{error}");
    }

    [Fact]
    public void A_sequence_length_beyond_the_position_table_passes_with_one_note_naming_the_length_used()
    {
        var (exitCode, output, error) = Check(Study(Data(Enumerable.Range(0, 40).Select(i => (i % 2).ToString())), backbone: ", max_sequence_length: 128"));
        Assert.True(exitCode == ExitCodes.Ok, $"exit {exitCode}\n{output}{error}");
        Assert.Contains(": ok (1 backbone", output);
        Assert.Contains("note: backbones 'b': max_sequence_length 128 is cut to 64 tokens", error);
        Assert.Contains("max_position_embeddings 64", error);
        // One note about the length (the sampler may add its own notes, e.g. about start-up trials).
        Assert.Single(error.Split('\n'), l => l.Contains("note:", StringComparison.Ordinal) && l.Contains("max_sequence_length", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("learning_rate: {type: float, low: 0.0, high: 1.0e-3}", "search_space.learning_rate: the value 0 is impossible for a trial: learning rates must be > 0")]
    [InlineData("batch_size: {type: int, low: 0, high: 32}", "search_space.batch_size: the value 0 is impossible for a trial: batch_size must be >= 1, got 0")]
    [InlineData("dropout: {type: categorical, choices: [0.1, 1.0]}", "search_space.dropout: the value 1 is impossible for a trial: dropout must be in [0, 1)")]
    [InlineData("learnig_rate: {type: float, low: 1.0e-5, high: 1.0e-3, log: true}", "search_space.learnig_rate: not a training setting, so every trial would ignore it (known: learning_rate, lr,")]
    public void A_search_space_a_training_trial_cannot_use_is_refused_naming_the_parameter(string space, string expected) =>
        Refused(Study(Data(Enumerable.Range(0, 40).Select(i => (i % 2).ToString())), space: space), expected);
}
