using System.Text.Json;
using System.Text.Json.Serialization;

namespace SweepCluster.Training.Ensembles;

/// <summary>
/// What the ensemble step found, as written to ARTIFACTS/STUDY/ensemble/ensemble.json and read by
/// `sweep report` and `sweep predict`: every scored model on the held-out rows, the ensemble first.
/// </summary>
public sealed record EnsembleReport
{
    public required string StudyId { get; init; }
    /// <summary>The study's metric (f1, accuracy, precision, recall, roc_auc, loss) and whether higher is better.</summary>
    public required string Metric { get; init; }
    public required bool HigherIsBetter { get; init; }
    /// <summary>Binary, MultiClass or MultiLabel.</summary>
    public required string Task { get; init; }
    /// <summary>Class names in id order (single-label) or label column names (multi-label).</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }
    /// <summary>soft (weighted mean of probabilities), hard (majority vote) or none (best member alone).</summary>
    public required string Method { get; init; }
    /// <summary>How the weights were chosen, in words (equal, or fitted on out-of-fold predictions and how).</summary>
    public required string WeightsMethod { get; init; }
    /// <summary>Member (backbone) name → weight; weights sum to 1.</summary>
    public required IReadOnlyDictionary<string, double> Weights { get; init; }
    /// <summary>Decision thresholds chosen on out-of-fold data: one for binary (positive class), one per label for multi-label, none for multi-class (arg max).</summary>
    public required IReadOnlyList<double> Thresholds { get; init; }
    public required int HeldOutRows { get; init; }
    public required int OutOfFoldRows { get; init; }
    /// <summary>Scored models: the ensemble first, then hard voting, then each member, then the TF-IDF baseline.</summary>
    public required IReadOnlyList<ScoreRow> Rows { get; init; }
    /// <summary>One sentence: whether the ensemble beats its best member on the held-out rows, and by how much.</summary>
    public required string Verdict { get; init; }
    /// <summary>
    /// Each member's model folders, relative to the study's artifacts folder: one trained model (a final
    /// retrain), several whose probabilities are averaged (the best trial's fold models), or a classic model.
    /// Older reports wrote one folder as a string; those still read.
    /// </summary>
    [JsonConverter(typeof(FolderListsConverter))]
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> MemberModels { get; init; }
    /// <summary>Member → fine-tuned or classic; empty in older reports (every member fine-tuned).</summary>
    public IReadOnlyDictionary<string, string> MemberKinds { get; init; } = new Dictionary<string, string>();
    /// <summary>Members given weight 0 by the weight fit: scored, but not part of the ensemble.</summary>
    public IReadOnlyList<string> DroppedMembers { get; init; } = [];
    /// <summary>Paired bootstrap of (ensemble − best member) on the held-out rows: the study's metric, then ROC-AUC where defined.</summary>
    public IReadOnlyList<BootstrapDifference> Comparison { get; init; } = [];
    /// <summary>The training file's column names, so predictions are written the way its labels were.</summary>
    public string TextColumn { get; init; } = "text";
    public string? IdColumn { get; init; }
    public IReadOnlyList<string> LabelColumns { get; init; } = ["label"];

    /// <summary>The rule `sweep predict` and the ensemble step apply to members' probabilities.</summary>
    public EnsembleRule Rule => new(Method, Task, Weights, Thresholds);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // A null where the record has no null ("rows": null) is a malformed file, refused by name when read,
        // not a NullReferenceException later in predict or the report.
        RespectNullableAnnotations = true,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static EnsembleReport FromJson(string json, string source = "ensemble.json") =>
        JsonSerializer.Deserialize<EnsembleReport>(json, Json) ?? throw new InvalidDataException($"{source}: empty");

    public static EnsembleReport Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), path) : throw new FileNotFoundException($"{path}: no ensemble report (has the study's ensemble step run?)", path);
}

/// <summary>One scored model on the held-out rows.</summary>
public sealed record ScoreRow
{
    public required string Name { get; init; }
    /// <summary>ensemble, hard-vote, member or baseline.</summary>
    public required string Kind { get; init; }
    /// <summary>accuracy, precision, recall, f1, roc_auc, loss (macro over labels for multi-label).</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    /// <summary>Multi-label: ROC-AUC of each label; single-label: of each class against the rest.</summary>
    public IReadOnlyDictionary<string, double>? RocAucByLabel { get; init; }
    /// <summary>Confusion matrices, rows true and columns predicted: one ("all") for single-label, one 2×2 per label for multi-label.</summary>
    public required IReadOnlyDictionary<string, int[][]> Confusion { get; init; }
}

/// <summary>
/// A paired bootstrap of a difference of scores on the same rows (Efron &amp; Tibshirani 1993, ch. 6 and 13):
/// the observed difference, the mean and standard deviation (the standard error) of the resampled
/// differences, and the 2.5th–97.5th percentile interval.
/// </summary>
public sealed record BootstrapDifference(string Metric, string Against, double Observed, double Mean, double StandardError, double Low, double High, int Resamples);

/// <summary>Reads member folders written as a list, or as one string by older reports.</summary>
internal sealed class FolderListsConverter : JsonConverter<IReadOnlyDictionary<string, IReadOnlyList<string>>>
{
    public override IReadOnlyDictionary<string, IReadOnlyList<string>> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("member_models: expected an object");
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            result[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => [property.Value.GetString()!],
                JsonValueKind.Array => property.Value.EnumerateArray().Select(e => e.GetString() ?? throw new JsonException($"member_models.{property.Name}: expected folder names")).ToList(),
                _ => throw new JsonException($"member_models.{property.Name}: expected a folder or a list of folders"),
            };
        }
        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, IReadOnlyList<string>> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, folders) in value)
        {
            writer.WritePropertyName(name);
            writer.WriteStartArray();
            foreach (var folder in folders) writer.WriteStringValue(folder);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }
}
