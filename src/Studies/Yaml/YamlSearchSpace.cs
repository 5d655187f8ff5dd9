using System.Text.Json.Nodes;
using SweepCluster.Search;
using SweepCluster.Search.Space;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Studies.Yaml;

/// <summary>
/// A search space as written in study.yaml: each parameter's definition translated to src/Search's
/// SPACE.json and remembered with where it was written, so that <see cref="SearchSpace"/>'s own
/// validation errors can point back at the YAML.
/// </summary>
internal sealed class YamlSearchSpace
{
    private static readonly string[] DefinitionKeys = ["type", "low", "high", "log", "step", "choices", "when"];
    private static readonly Choices<string> ParameterTypes = Choices.Names("parameter type", "float", "int", "categorical");

    /// <summary>One parameter: its SPACE.json definition (null: an override removing it), key path and line.</summary>
    private sealed record Parameter(string Name, JsonObject? Definition, string KeyPath, int Line);

    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly string _path;
    private readonly int? _line;
    private readonly string _context;

    private YamlSearchSpace(IReadOnlyList<Parameter> parameters, string path, int? line, string context)
    {
        _parameters = parameters;
        _path = path;
        _line = line;
        _context = context;
    }

    public static YamlSearchSpace Empty(string path) => new([], path, null, "");

    /// <summary>
    /// Reads a <c>search_space</c> mapping. In a backbone's overrides (<paramref name="isOverride"/>) a
    /// null definition removes the study's parameter of that name.
    /// </summary>
    public static YamlSearchSpace Read(YamlSection section, bool isOverride)
    {
        var parameters = section.Entries.Select(entry => ReadParameter(entry, isOverride)).ToList();
        return new YamlSearchSpace(parameters, section.Path, section.Line, "");
    }

    /// <summary>
    /// The space a backbone searches: this one with <paramref name="overrides"/> applied. A parameter the
    /// override names is replaced where it stands, a new one is appended, a null one removed.
    /// </summary>
    public YamlSearchSpace WithOverrides(YamlSearchSpace overrides)
    {
        // Errors in the merged space are the override's doing, so inherited parameters point at it too.
        var merged = _parameters
            .Select(p => p with { KeyPath = KeyPaths.Child(overrides._path, p.Name), Line = overrides._line ?? p.Line })
            .ToList();
        foreach (var change in overrides._parameters)
        {
            var index = merged.FindIndex(p => p.Name == change.Name);
            if (change.Definition is not null && index >= 0) merged[index] = change;
            else if (change.Definition is not null) merged.Add(change);
            else if (index >= 0) merged.RemoveAt(index);
            else throw CannotRemove(change);
        }
        return new YamlSearchSpace(merged, overrides._path, overrides._line, " (in the study's search_space merged with these overrides)");
    }

    /// <summary>
    /// Validates the space with <see cref="SearchSpace.FromJson(string)"/> and a dry run of every sampler
    /// (<see cref="HyperparameterSearch.Rehearse"/>) and returns it, typed: the one parse of a study's space
    /// (kept, so backbones that inherit the study's space share it).
    /// </summary>
    public SearchSpace ToSearchSpace() => _parsed ??= Parse();

    private SearchSpace? _parsed;

    private SearchSpace Parse()
    {
        if (_parameters.Count == 0) throw new StudySpecException(_path, _line, "the search space has no parameters" + _context);
        if (_parameters.Count > StudyLimits.MaxParameters)
            throw new StudySpecException(_path, _line, $"must have at most {StudyLimits.MaxParameters} parameters, got {_parameters.Count}" + _context);
        if (_parameters.FirstOrDefault(p => p.Name.Length > StudyLimits.MaxNameLength) is { } longName)
            throw new StudySpecException(_path, longName.Line, $"parameter names must be at most {StudyLimits.MaxNameLength} characters, got '{StudyLimits.Echo(longName.Name)}'");
        var json = new JsonObject();
        foreach (var parameter in _parameters) json[parameter.Name] = parameter.Definition!.DeepClone();
        try
        {
            var space = SearchSpace.FromJson(json.ToJsonString());
            // What the samplers would refuse on a later ask is refused here, where --check sees it.
            HyperparameterSearch.Rehearse(space);
            return space;
        }
        catch (SearchSpaceException e)
        {
            var culprit = _parameters.FirstOrDefault(p => p.Name == e.Parameter);
            throw new StudySpecException(culprit?.KeyPath ?? _path, culprit?.Line ?? _line, e.Problem + _context);
        }
    }

    private StudySpecException CannotRemove(Parameter removal)
    {
        var nearest = NearestName.For(removal.Name, _parameters.Select(p => p.Name));
        var hint = nearest is null ? "" : $"; did you mean '{nearest}'?";
        return new StudySpecException(removal.KeyPath, removal.Line, $"cannot remove '{removal.Name}': the study's search_space has no such parameter{hint}");
    }

    private static Parameter ReadParameter(YamlEntry entry, bool isOverride)
    {
        if (!YamlScalar.IsNull(entry.Value)) return new Parameter(entry.Key, ReadDefinition(entry.Value, entry.Path), entry.Path, entry.Line);
        if (isOverride) return new Parameter(entry.Key, null, entry.Path, entry.Line);
        throw new StudySpecException(entry.Path, entry.Line, "needs a definition such as {type: float, low: 0, high: 1} (null removes a parameter only in a backbone's search_space)");
    }

    private static JsonObject ReadDefinition(YamlNode node, string path)
    {
        var definition = new JsonObject();
        foreach (var (key, keyPath, _, value) in YamlSection.Of(node, path, DefinitionKeys).Entries)
        {
            if (YamlScalar.IsNull(value)) continue;
            definition[key] = key switch
            {
                "type" => YamlValue.Choice(value, keyPath, ParameterTypes),
                "log" => YamlValue.Bool(value, keyPath),
                "choices" => ChoiceList(value, keyPath),
                "when" => Conditions(value, keyPath),
                _ => Number(value, keyPath),
            };
        }
        return definition;
    }

    private static JsonNode Number(YamlNode node, string path) =>
        node is YamlScalarNode scalar && YamlScalar.Resolve(scalar) is long integer
            ? JsonValue.Create(integer)
            : JsonValue.Create(YamlValue.Number(node, path, Bounds.Any));

    /// <summary>TPE weighs every choice on every ask, so their number is bounded (<see cref="StudyLimits.MaxChoices"/>).</summary>
    private static JsonArray ChoiceList(YamlNode node, string path)
    {
        if (node is YamlSequenceNode { Children.Count: > StudyLimits.MaxChoices } sequence)
            throw YamlValue.Error(node, path, $"must have at most {StudyLimits.MaxChoices} choices, got {sequence.Children.Count}");
        return ScalarList(node, path);
    }

    /// <summary>Choices keep their YAML type: 16 stays an integer, "16" a string, true a boolean.</summary>
    private static JsonArray ScalarList(YamlNode node, string path) =>
        new(YamlValue.Sequence(node, path).Select((item, i) => Scalar(item, KeyPaths.Item(path, i))).ToArray());

    private static JsonNode Scalar(YamlNode node, string path)
    {
        var value = node is YamlScalarNode scalar ? YamlScalar.Resolve(scalar) : null;
        return value switch
        {
            long l => JsonValue.Create(l),
            double d when double.IsFinite(d) => JsonValue.Create(d),
            bool b => JsonValue.Create(b),
            string { Length: > StudyLimits.MaxStringLength } s => throw YamlValue.Error(node, path,
                $"must be at most {StudyLimits.MaxStringLength} characters, got '{StudyLimits.Echo(s)}'"),
            string s => JsonValue.Create(s),
            _ => throw YamlValue.WrongType(node, path, "a number, a string or a boolean"),
        };
    }

    private static JsonObject Conditions(YamlNode node, string path)
    {
        var conditions = new JsonObject();
        foreach (var entry in YamlSection.Of(node, path, knownKeys: null).Entries)
        {
            conditions[entry.Key] = ScalarList(entry.Value, entry.Path);
        }
        return conditions;
    }
}
