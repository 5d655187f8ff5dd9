using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Search;

/// <summary>
/// The persisted form of a search: settings, space and the full trial history as JSON. Doubles are written
/// in their shortest round-trip form (non-finite ones as strings), so a restored search asks exactly what
/// the original would have.
/// </summary>
internal static class SearchSnapshot
{
    private const int FormatVersion = 1;

    // Enums as names: reordering an enum must never change what an old snapshot means.
    private static readonly JsonSerializerOptions OptionsJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // GpOptions.ExhaustedBranchLogEi is −∞ when off.
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static string Write(SearchSettings settings, IReadOnlyList<TrialRecord> trials)
    {
        var root = new JsonObject
        {
            ["format"] = FormatVersion,
            ["direction"] = settings.Direction == StudyDirection.Minimize ? "minimize" : "maximize",
            ["seed"] = settings.Seed,
            ["sampler"] = new JsonObject
            {
                ["kind"] = SamplerSettings.KindName(settings.Sampler.Kind),
                ["quasi_random"] = settings.Sampler.QuasiRandom,
                ["tpe"] = JsonSerializer.SerializeToNode(settings.Sampler.Tpe, OptionsJson),
                ["gp"] = JsonSerializer.SerializeToNode(settings.Sampler.Gp, OptionsJson),
            },
            ["pruner"] = JsonSerializer.SerializeToNode(settings.Pruner, OptionsJson),
            ["space"] = settings.Space.ToJsonObject(),
        };
        var trialArray = new JsonArray();
        foreach (var t in trials)
        {
            var parameters = new JsonObject();
            foreach (var (name, value) in t.Params) parameters[name] = Number(value);
            var intermediate = new JsonObject();
            foreach (var (step, value) in t.IntermediateValues) intermediate[step.ToString(CultureInfo.InvariantCulture)] = Number(value);
            var node = new JsonObject
            {
                ["number"] = t.Number,
                ["state"] = t.State.ToString().ToLowerInvariant(),
                ["params"] = parameters,
                ["intermediate"] = intermediate,
            };
            if (t.Value is double v) node["value"] = Number(v);
            if (t.Error is not null) node["error"] = t.Error;
            trialArray.Add(node);
        }
        root["trials"] = trialArray;
        return root.ToJsonString();
    }

    public static (SearchSettings Settings, List<TrialRecord> Trials) Read(string json)
    {
        try
        {
            return ReadUnchecked(json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw new FormatException($"search snapshot is not readable: {e.Message}", e);
        }
    }

    private static JsonNode Required(JsonObject owner, string key, string path) =>
        owner[key] ?? throw new FormatException($"search snapshot lacks \"{path}\"");

    /// <summary>
    /// The GP options a snapshot holds. A model switch added later is absent from older snapshots, and reads as off,
    /// the model that wrote them, so a restored search still asks what the original would have instead of switching
    /// models halfway: quadratic_mean (the quadratic prior mean, 2026-12-02), conditional_gp (the GP for
    /// conditional parameters, 2026-12-02, tenth session) and exhausted_branch_log_ei (leaving a branch whose children
    /// are tuned, the same session; off is −∞).
    /// </summary>
    private static SweepCluster.Search.Gp.GpOptions ReadGpOptions(JsonNode? gp)
    {
        var options = gp.Deserialize<SweepCluster.Search.Gp.GpOptions>(OptionsJson) ?? new SweepCluster.Search.Gp.GpOptions();
        if (gp is not JsonObject written) return options;
        if (!written.ContainsKey("quadratic_mean")) options = options with { QuadraticMean = false };
        if (!written.ContainsKey("conditional_gp")) options = options with { ConditionalGp = false };
        if (!written.ContainsKey("exhausted_branch_log_ei")) options = options with { ExhaustedBranchLogEi = double.NegativeInfinity };
        // Refused here, inside Read's FormatException, rather than later by the sampler's constructor.
        options.Validate();
        return options;
    }

    // Snapshots written before the kinds had one name each spell the multivariate sampler with a hyphen; they
    // are files on users' disks ('sweep sampler serve --state'), so they still read.
    private static string LegacySamplerName(string name) => name == "tpe-multivariate" ? SamplerSettings.KindName(SamplerKind.TpeMultivariate) : name;

    private static (SearchSettings Settings, List<TrialRecord> Trials) ReadUnchecked(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("search snapshot must be a JSON object");
        var format = root["format"]?.GetValue<int>() ?? 0;
        if (format != FormatVersion) throw new FormatException($"search snapshot format {format} is not supported (expected {FormatVersion})");
        var sampler = Required(root, "sampler", "sampler").AsObject();
        var settings = new SearchSettings(
            SearchSpace.FromJson(Required(root, "space", "space").AsObject().DeepClone().AsObject()),
            Required(root, "direction", "direction").GetValue<string>() == "maximize" ? StudyDirection.Maximize : StudyDirection.Minimize,
            new SamplerSettings
            {
                Kind = SamplerSettings.ParseKind(LegacySamplerName(Required(sampler, "kind", "sampler.kind").GetValue<string>())),
                QuasiRandom = sampler["quasi_random"]?.GetValue<bool>() ?? true,
                Tpe = sampler["tpe"].Deserialize<TpeOptions>(OptionsJson) ?? new TpeOptions(),
                Gp = ReadGpOptions(sampler["gp"]),
            },
            Required(root, "pruner", "pruner").Deserialize<PrunerSettings>(OptionsJson),
            Required(root, "seed", "seed").GetValue<long>());
        var trials = new List<TrialRecord>();
        foreach (var node in Required(root, "trials", "trials").AsArray())
        {
            var t = node?.AsObject() ?? throw new FormatException("search snapshot has a null trial");
            var where = $"trials[{trials.Count}]";
            var parameters = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, value) in Required(t, "params", where + ".params").AsObject()) parameters[name] = ReadNumber(value);
            var intermediate = new SortedDictionary<int, double>();
            foreach (var (step, value) in Required(t, "intermediate", where + ".intermediate").AsObject())
                intermediate[int.Parse(step, CultureInfo.InvariantCulture)] = ReadNumber(value);
            var record = new TrialRecord
            {
                Number = Required(t, "number", where + ".number").GetValue<int>(),
                Params = parameters,
                Reports = intermediate,
                State = Enum.Parse<TrialState>(Required(t, "state", where + ".state").GetValue<string>(), ignoreCase: true),
                Value = t["value"] is { } v ? ReadNumber(v) : null,
                Error = t["error"]?.GetValue<string>(),
            };
            if (record.Number != trials.Count) throw new FormatException($"trial numbers must be 0..n-1 in order; found {record.Number} at position {trials.Count}");
            trials.Add(record);
        }
        return (settings, trials);
    }

    private static JsonNode Number(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    private static double ReadNumber(JsonNode? node)
    {
        var element = node!.GetValue<JsonElement>();
        return element.ValueKind == JsonValueKind.String
            ? double.Parse(element.GetString()!, CultureInfo.InvariantCulture)
            : element.GetDouble();
    }
}
