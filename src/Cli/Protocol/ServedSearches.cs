using System.Text.Json.Nodes;
using SweepCluster.Search;

namespace SweepCluster.Cli.Protocol;

/// <summary>
/// What one <c>sweep sampler serve</c> process answers for: a single search, or one search per backbone
/// (<c>--backbones</c>) over the same space, as a study file's backbones are. Each backbone's search is seeded
/// <see cref="SearchSettings.BackboneSeed"/>(seed, name), the study's rule, and numbers its trials from 0. With
/// <see cref="ShareAcrossBackbones"/> (the study file's <c>sampler.share_across_backbones</c>) every ask for one
/// backbone also learns from the other backbones' trials (<see cref="HyperparameterSearch.Ask"/>'s related lists),
/// so the asks depend on the whole process's history, which <see cref="ToJson"/> saves.
/// </summary>
public sealed class ServedSearches
{
    /// <summary>Format of the several-backbone state file; a single search keeps <see cref="HyperparameterSearch.ToJson"/>'s.</summary>
    private const string BackbonesFormat = "sweep-serve-backbones/1";

    private readonly Dictionary<string, HyperparameterSearch> _byBackbone;

    private ServedSearches(HyperparameterSearch? single, IReadOnlyList<(string Name, HyperparameterSearch Search)> backbones, bool share,
        long? seed = null)
    {
        Single = single;
        Seed = seed;
        Backbones = backbones.Select(b => b.Name).ToList();
        _byBackbone = backbones.ToDictionary(b => b.Name, b => b.Search, StringComparer.Ordinal);
        ShareAcrossBackbones = share;
    }

    /// <summary>One search, no backbones: requests carry no <c>"backbone"</c>.</summary>
    public static ServedSearches Of(HyperparameterSearch search) => new(search, [], share: false);

    /// <summary>One new search per backbone, each with <paramref name="settings"/> and its backbone seed.</summary>
    /// <exception cref="ArgumentException">No backbone, a blank or repeated name, or settings the sampler or pruner refuses.</exception>
    public static ServedSearches ForBackbones(SearchSettings settings, IReadOnlyList<string> backbones, bool shareAcrossBackbones)
    {
        CheckNames(backbones);
        return new(null,
            backbones.Select(b => (b, HyperparameterSearch.Create(settings with { Seed = SearchSettings.BackboneSeed(settings.Seed, b) }))).ToList(),
            shareAcrossBackbones, settings.Seed);
    }

    /// <summary>
    /// The process's <c>--seed</c>, from which each backbone's seed derives; null for a single search (whose
    /// snapshot holds it) and for backbones state files written before 2026-12-01's eighth session, which lack it.
    /// </summary>
    public long? Seed { get; }

    /// <summary>The search when there are no backbones; null otherwise.</summary>
    public HyperparameterSearch? Single { get; }

    /// <summary>The backbones in the order given; empty for a single search.</summary>
    public IReadOnlyList<string> Backbones { get; }

    /// <summary>Whether each backbone's asks learn from the other backbones' trials.</summary>
    public bool ShareAcrossBackbones { get; }

    /// <summary>Every search with its backbone (null for a single search), in <see cref="Backbones"/> order.</summary>
    public IEnumerable<(string? Backbone, HyperparameterSearch Search)> All =>
        Single is not null ? [(null, Single)] : Backbones.Select(b => ((string?)b, _byBackbone[b]));

    /// <summary>What <c>best</c> and <c>trials</c> answer for: every search without a backbone, else the one named.</summary>
    /// <exception cref="ProtocolException">As <see cref="Get"/>.</exception>
    public IReadOnlyList<(string? Backbone, HyperparameterSearch Search)> Named(string? backbone) =>
        backbone is null ? All.ToList() : [(backbone, Get(backbone))];

    /// <summary>The search a request names.</summary>
    /// <exception cref="ProtocolException">A backbone where there are none, none where there are, or an unknown one.</exception>
    public HyperparameterSearch Get(string? backbone)
    {
        if (Single is not null)
        {
            if (backbone is not null)
                throw new ProtocolException($"this server has no backbones (start it with --backbones to serve several); drop \"backbone\":\"{backbone}\"");
            return Single;
        }
        if (backbone is null) throw new ProtocolException($"\"backbone\" is required: one of {string.Join(", ", Backbones)}");
        return _byBackbone.TryGetValue(backbone, out var search)
            ? search
            : throw new ProtocolException($"unknown backbone \"{backbone}\" (expected one of {string.Join(", ", Backbones)})");
    }

    /// <summary>Asks the named backbone's search for a trial, passing the other backbones' trials when sharing.</summary>
    /// <exception cref="ProtocolException">As <see cref="Get"/>.</exception>
    public AskedTrial Ask(string? backbone)
    {
        var search = Get(backbone);
        if (!ShareAcrossBackbones || Single is not null) return search.Ask();
        // All backbones share the one --space, so TrialsIn passes the records through; it is the study grain's call all the same.
        var related = Backbones.Where(b => b != backbone).Select(b => _byBackbone[b].TrialsIn(search.Settings.Space)).ToList();
        return search.Ask(related);
    }

    /// <summary>The state file's text: a single search's snapshot as before, or every backbone's snapshot under one object.</summary>
    public string ToJson()
    {
        if (Single is not null) return Single.ToJson();
        // Written after every ask, report and tell: each snapshot goes in as the text it already is, not parsed again.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("format", BackbonesFormat);
            w.WriteBoolean("share_across_backbones", ShareAcrossBackbones);
            if (Seed is { } seed) w.WriteNumber("seed", seed);
            w.WriteStartArray("backbones");
            foreach (var name in Backbones)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WritePropertyName("search");
                w.WriteRawValue(_byBackbone[name].ToJson(), skipInputValidation: true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote (either form).</summary>
    /// <exception cref="FormatException">The text is neither form, or a backbone's snapshot does not read.</exception>
    public static ServedSearches FromJson(string json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new FormatException("a state file must be a JSON object");
        // A single search's snapshot numbers its format; a string is this file's form, or one this version cannot read
        // (which the single-search reader would only report as a type error).
        if (root["format"] is not JsonValue format || !format.TryGetValue<string>(out var name))
            return Of(HyperparameterSearch.FromJson(json));
        if (name != BackbonesFormat)
            throw new FormatException($"unknown state file format \"{name}\" (this version reads \"{BackbonesFormat}\" and single-search snapshots)");
        if (root["share_across_backbones"] is not JsonValue shareValue || !shareValue.TryGetValue<bool>(out var share))
            throw new FormatException($"state file's \"share_across_backbones\" must be true or false, got {Describe(root["share_across_backbones"])}");
        // Optional: files written before the eighth session of 2026-12-01 lack it and still resume.
        long? seed = null;
        if (root["seed"] is { } seedNode)
        {
            if (seedNode is not JsonValue seedValue || !seedValue.TryGetValue<long>(out var stored))
                throw new FormatException($"state file's \"seed\" must be an integer, got {Describe(seedNode)}");
            seed = stored;
        }
        var list = root["backbones"] as JsonArray ?? throw new FormatException("state file lacks \"backbones\"");
        var backbones = new List<(string, HyperparameterSearch)>();
        foreach (var node in list)
        {
            var entry = node as JsonObject ?? throw new FormatException("state file has a backbone that is not an object");
            if (entry["name"] is not JsonValue nameValue || !nameValue.TryGetValue<string>(out var backbone))
                throw new FormatException($"state file has a backbone whose \"name\" is not a string: {Describe(entry["name"])}");
            var search = entry["search"] ?? throw new FormatException($"state file's backbone {backbone} has no \"search\"");
            try
            {
                backbones.Add((backbone, HyperparameterSearch.FromJson(search.ToJsonString())));
            }
            catch (Exception e) when (e is FormatException or SweepCluster.Search.Space.SearchSpaceException)
            {
                // Every backbone's snapshot reads alike; the message says which one to look at.
                throw new FormatException($"state file's backbone {backbone}: {e.Message}", e);
            }
        }
        try
        {
            CheckNames(backbones.Select(b => b.Item1).ToList());
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"state file: {e.Message}", e);
        }
        if (seed is { } processSeed)
        {
            // Each search's seed derives from the process's seed and its backbone's name, so a mismatch means the name
            // was changed in the file: resuming would serve one backbone's history under another's name.
            foreach (var (backbone, search) in backbones)
            {
                if (search.Settings.Seed != SearchSettings.BackboneSeed(processSeed, backbone))
                    throw new FormatException(
                        $"state file's backbone {backbone} holds a search seeded for another backbone name (was it renamed in the file?); " +
                        "the name must stay the one it was served under");
            }
        }
        return new(null, backbones, share, seed);
    }

    /// <summary>A state file's value as an error message shows it: its JSON text, or "nothing" when absent.</summary>
    private static string Describe(JsonNode? node) => node is null ? "nothing" : node.ToJsonString();

    /// <summary>
    /// What is wrong with a list of backbone names (none, a blank one, one named twice), or null when nothing is;
    /// <c>--backbones</c> reports it as a usage error and a state file as a format error.
    /// </summary>
    public static string? NamesProblem(IReadOnlyList<string> backbones)
    {
        if (backbones.Count == 0) return "no backbone named";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in backbones)
        {
            if (string.IsNullOrWhiteSpace(b)) return "a backbone name is blank";
            if (!seen.Add(b)) return $"backbone \"{b}\" is named twice";
        }
        return null;
    }

    private static void CheckNames(IReadOnlyList<string> backbones)
    {
        if (NamesProblem(backbones) is { } problem) throw new ArgumentException(problem);
    }
}
