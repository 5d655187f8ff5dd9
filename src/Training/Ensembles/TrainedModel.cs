using System.Text.Json;
using System.Text.Json.Nodes;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using SweepCluster.Training.Data;
using SweepCluster.Vocabulary;

namespace SweepCluster.Training.Ensembles;

/// <summary>What a trained model folder says about itself (sweep-model.json), beside its weights and tokenizer.</summary>
public sealed record TrainedModelInfo
{
    public required string Backbone { get; init; }
    public required BackboneFamily Family { get; init; }
    /// <summary>Binary, MultiClass or MultiLabel.</summary>
    public required string Task { get; init; }
    public required IReadOnlyList<string> ClassNames { get; init; }
    public required int MaxSequenceLength { get; init; }
    public int SourceTrial { get; init; }
    public int Epochs { get; init; }
}

/// <summary>
/// A fine-tuned classifier stored so it can predict on another machine from its folder alone:
/// model.safetensors (every weight, head included, float32), config.json (the checkpoint's, with the
/// study's labels as id2label), the tokenizer files, and sweep-model.json.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    public const string InfoFile = "sweep-model.json";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly string[] NotTokenizer = ["config.json", "model.safetensors", "pytorch_model.bin", InfoFile];

    private readonly SequenceClassificationModel _model;
    private readonly TextEncoder _encoder;
    private readonly Device _device;

    private TrainedModel(TrainedModelInfo info, SequenceClassificationModel model, TextEncoder encoder, Device device)
    {
        Info = info;
        _model = model;
        _encoder = encoder;
        _device = device;
    }

    public TrainedModelInfo Info { get; }

    public static void Save(string folder, SequenceClassificationModel model, string checkpointFolder, TrainedModelInfo info)
    {
        var temporary = folder + ".partial-" + Environment.ProcessId;
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        Directory.CreateDirectory(temporary);
        foreach (var file in Directory.EnumerateFiles(checkpointFolder).Where(f => !NotTokenizer.Contains(Path.GetFileName(f))))
            File.Copy(file, Path.Combine(temporary, Path.GetFileName(file)));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpointFolder, "config.json")))!.AsObject();
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (var i = 0; i < info.ClassNames.Count; i++)
        {
            id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = info.ClassNames[i];
            label2id[info.ClassNames[i]] = i;
        }
        config["id2label"] = id2label;
        config["label2id"] = label2id;
        config["num_labels"] = model.Labels;
        if (info.Task == "MultiLabel") config["problem_type"] = "multi_label_classification";
        File.WriteAllText(Path.Combine(temporary, "config.json"), config.ToJsonString(Json));

        var weights = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().to(float32));
        SafeTensors.Write(Path.Combine(temporary, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt" });
        foreach (var t in weights.Values) t.Dispose();
        File.WriteAllText(Path.Combine(temporary, InfoFile), JsonSerializer.Serialize(info, Json));

        // Complete or absent: a worker that dies mid-save leaves only the .partial folder, never half a model.
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.Move(temporary, folder);
    }

    public static TrainedModelInfo ReadInfo(string folder)
    {
        var path = Path.Combine(folder, InfoFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: not a trained model folder (no {InfoFile})", path);
        return JsonSerializer.Deserialize<TrainedModelInfo>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty");
    }

    public static TrainedModel Load(string folder, Device? device = null)
    {
        var info = ReadInfo(folder);
        var config = BackboneConfig.Load(folder);
        // One output per class (binary: two, softmax) or per label (multi-label: sigmoids).
        var model = SequenceClassifier.Create(info.Family, config, info.ClassNames.Count);
        var report = CheckpointLoader.Load(model, folder);
        if (report.NewlyInitialised.Count > 0)
            throw new InvalidDataException($"{folder}: the trained model lacks {string.Join(", ", report.NewlyInitialised)}; it was not saved whole");
        var target = device ?? CPU;
        model.to(target);
        model.eval();
        // Models saved before the length was capped at save time may record more tokens than the position
        // embeddings hold; cap here too so they still predict (libtorch would fail "index out of range").
        info = info with { MaxSequenceLength = config.EffectiveSequenceLength(info.MaxSequenceLength) };
        return new TrainedModel(info, model, TokenizerLoader.Load(folder, info.Family), target);
    }

    /// <summary>Probabilities per text: softmax over classes, or per-label sigmoids for multi-label.</summary>
    public double[][] Predict(IReadOnlyList<string> texts, int batchSize = 64)
    {
        var rows = new TokenizedRows(texts.Select(t => _encoder.Encode(t, Info.MaxSequenceLength)).ToList(), _encoder.PadTokenId);
        return FoldTrainer.Predict(_model, rows, Enumerable.Range(0, texts.Count).ToArray(), batchSize, Info.Task == "MultiLabel", _device);
    }

    public void Dispose() => _model.Dispose();
}
