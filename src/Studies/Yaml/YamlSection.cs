using YamlDotNet.RepresentationModel;

namespace SweepCluster.Studies.Yaml;

/// <summary>One key of a mapping: its name, key path, the line of the key, and its value node.</summary>
internal readonly record struct YamlEntry(string Key, string Path, int Line, YamlNode Value);

/// <summary>
/// A mapping of the study file, read key by key. Unknown keys are refused when the section is opened;
/// getters treat a missing key and a null value alike (the default applies) and name the key path and
/// line of any bad value.
/// </summary>
internal sealed class YamlSection
{
    private readonly Dictionary<string, YamlEntry> _byKey;

    private YamlSection(string path, int? line, IReadOnlyList<YamlEntry> entries)
    {
        Path = path;
        Line = line;
        Entries = entries;
        _byKey = entries.ToDictionary(e => e.Key, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>Where the mapping starts; null for a section that is absent from the file.</summary>
    public int? Line { get; }

    /// <summary>Every key in document order, null values included.</summary>
    public IReadOnlyList<YamlEntry> Entries { get; }

    public static YamlSection Empty(string path) => new(path, null, []);

    /// <summary>The mapping at <paramref name="node"/>; every key must be one of <paramref name="knownKeys"/> (null: any name).</summary>
    public static YamlSection Of(YamlNode node, string path, IReadOnlyCollection<string>? knownKeys)
    {
        if (node is not YamlMappingNode mapping) throw YamlValue.WrongType(node, path, "a mapping");
        var entries = new List<YamlEntry>();
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key } || YamlScalar.IsNull(keyNode))
                throw YamlValue.Error(keyNode, path, $"keys must be names, got {YamlScalar.Describe(keyNode)}");
            // Checked before the key enters a key path: every later message would repeat it.
            if (key.Length > StudyLimits.MaxStringLength)
                throw YamlValue.Error(keyNode, path, $"keys must be at most {StudyLimits.MaxStringLength} characters, got '{StudyLimits.Echo(key)}'");
            var entry = new YamlEntry(key, KeyPaths.Child(path, key), YamlValue.LineOf(keyNode), value);
            if (knownKeys is not null && !knownKeys.Contains(key)) throw UnknownKey(entry, knownKeys);
            entries.Add(entry);
        }
        return new YamlSection(path, YamlValue.LineOf(mapping), entries);
    }

    /// <summary>
    /// An error about <paramref name="key"/>, at its line when present, else at the section's. A key missing
    /// from the top level gets no line: the first line of the file would only mislead.
    /// </summary>
    public StudySpecException Error(string key, string problem) =>
        _byKey.TryGetValue(key, out var entry)
            ? new StudySpecException(entry.Path, entry.Line, problem)
            : new StudySpecException(KeyPaths.Child(Path, key), Path.Length == 0 ? null : Line, problem);

    public StudySpecException Missing(string key) => Error(key, _byKey.ContainsKey(key) ? "needs a value" : "required key is missing");

    public string RequiredString(string key) => OptionalString(key) ?? throw Missing(key);

    public string? OptionalString(string key) => Find(key) is { } e ? YamlValue.String(e.Value, e.Path) : null;

    public string String(string key, string defaultValue) => OptionalString(key) ?? defaultValue;

    public int RequiredInt(string key, Bounds bounds) => OptionalInt(key, bounds) ?? throw Missing(key);

    public int? OptionalInt(string key, Bounds bounds) => Find(key) is { } e ? YamlValue.Int(e.Value, e.Path, bounds) : null;

    public int Int(string key, int defaultValue, Bounds bounds) => OptionalInt(key, bounds) ?? defaultValue;

    public long Long(string key, long defaultValue, Bounds bounds) =>
        Find(key) is { } e ? YamlValue.Integer(e.Value, e.Path, bounds) : defaultValue;

    public double Number(string key, double defaultValue, Bounds bounds) =>
        Find(key) is { } e ? YamlValue.Number(e.Value, e.Path, bounds) : defaultValue;

    public bool Bool(string key, bool defaultValue) => Find(key) is { } e ? YamlValue.Bool(e.Value, e.Path) : defaultValue;

    public T Choice<T>(string key, T defaultValue, Choices<T> choices) =>
        Find(key) is { } e ? YamlValue.Choice(e.Value, e.Path, choices) : defaultValue;

    public T RequiredChoice<T>(string key, Choices<T> choices) =>
        Find(key) is { } e ? YamlValue.Choice(e.Value, e.Path, choices) : throw Missing(key);

    public IReadOnlyList<string>? OptionalStringList(string key) => Find(key) is { } e ? YamlValue.StringList(e.Value, e.Path) : null;

    public IReadOnlyList<YamlNode> RequiredSequence(string key) =>
        Find(key) is { } e ? YamlValue.Sequence(e.Value, e.Path) : throw Missing(key);

    public YamlSection? OptionalSection(string key, IReadOnlyCollection<string>? knownKeys) =>
        Find(key) is { } e ? Of(e.Value, e.Path, knownKeys) : null;

    /// <summary>The nested mapping, or an empty one when the key is absent (so every default applies).</summary>
    public YamlSection Section(string key, IReadOnlyCollection<string>? knownKeys) =>
        OptionalSection(key, knownKeys) ?? Empty(KeyPaths.Child(Path, key));

    public YamlSection RequiredSection(string key, IReadOnlyCollection<string>? knownKeys) =>
        OptionalSection(key, knownKeys) ?? throw Missing(key);

    private YamlEntry? Find(string key) =>
        _byKey.TryGetValue(key, out var entry) && !YamlScalar.IsNull(entry.Value) ? entry : null;

    private static StudySpecException UnknownKey(YamlEntry entry, IReadOnlyCollection<string> knownKeys)
    {
        var hint = NearestName.For(entry.Key, knownKeys) is { } nearest
            ? $"did you mean '{nearest}'?"
            : $"known keys: {string.Join(", ", knownKeys)}";
        return new StudySpecException(entry.Path, entry.Line, $"unknown key ({hint})");
    }
}
