using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SweepCluster.Search.Space;

/// <summary>
/// A parameter is active only when every parent named in its condition holds one of the listed values.
/// </summary>
public sealed record ParamCondition(string Parent, IReadOnlyList<object> Values);

public sealed record ParamDefinition(string Name, ParamDistribution Distribution, IReadOnlyList<ParamCondition> Conditions)
{
    public bool IsConditional => Conditions.Count > 0;
}

/// <summary>
/// An ordered, validated set of parameters. Order matters: a conditional parameter may only depend on
/// parameters declared before it, so sampling in declaration order always knows its parents.
/// </summary>
public sealed class SearchSpace : IEquatable<SearchSpace>
{
    private readonly Dictionary<string, int> _indexByName;
    private string? _json;

    public IReadOnlyList<ParamDefinition> Parameters { get; }

    public SearchSpace(IEnumerable<ParamDefinition> parameters)
    {
        Parameters = parameters.ToList();
        _indexByName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Parameters.Count; i++)
        {
            var definition = Parameters[i];
            if (string.IsNullOrWhiteSpace(definition.Name))
            {
                throw new SearchSpaceException(definition.Name ?? "", "a parameter needs a non-empty name");
            }
            if (!_indexByName.TryAdd(definition.Name, i))
            {
                throw new SearchSpaceException(definition.Name, "is declared twice");
            }
            Validate(definition.Name, definition.Distribution);
            foreach (var condition in definition.Conditions)
            {
                ValidateCondition(definition.Name, condition);
            }
        }
    }

    /// <summary>Two spaces are equal when they declare the same parameters, in order, with the same settings.</summary>
    public bool Equals(SearchSpace? other) => other is not null && (ReferenceEquals(this, other) || ToJson() == other.ToJson());

    public override bool Equals(object? obj) => Equals(obj as SearchSpace);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(ToJson());

    public ParamDefinition this[string name] =>
        _indexByName.TryGetValue(name, out var i) ? Parameters[i] : throw new KeyNotFoundException($"unknown parameter '{name}'");

    public bool Contains(string name) => _indexByName.ContainsKey(name);

    /// <summary>Whether a parameter is active given the internal values assigned so far.</summary>
    public bool IsActive(ParamDefinition definition, IReadOnlyDictionary<string, double> assigned)
    {
        foreach (var condition in definition.Conditions)
        {
            if (!assigned.TryGetValue(condition.Parent, out var parentInternal)) return false;
            var parentValue = this[condition.Parent].Distribution.ToExternal(parentInternal);
            if (!condition.Values.Any(v => ChoiceEquality.AreEqual(v, parentValue))) return false;
        }
        return true;
    }

    private static void Validate(string name, ParamDistribution distribution)
    {
        switch (distribution)
        {
            case FloatDistribution f:
                if (!double.IsFinite(f.Low) || !double.IsFinite(f.High))
                    throw new SearchSpaceException(name, $"\"low\" and \"high\" must be finite numbers, got low = {Fmt(f.Low)}, high = {Fmt(f.High)}");
                if (f.Low > f.High)
                    throw new SearchSpaceException(name, $"low ({Fmt(f.Low)}) is greater than high ({Fmt(f.High)})");
                if (f.Log && f.Low <= 0)
                    throw new SearchSpaceException(name, $"a log scale needs low > 0, got low = {Fmt(f.Low)}");
                // Samplers work with the width high − low (kernel widths, the uniform prior): it must be a double too.
                if (!double.IsFinite(f.High - f.Low))
                    throw new SearchSpaceException(name, $"the range [{Fmt(f.Low)}, {Fmt(f.High)}] is too wide: high − low overflows a double");
                if (!f.Log && f.High > f.Low && f.High - f.Low < MinFloatRange)
                    throw new SearchSpaceException(name,
                        $"the range [{Fmt(f.Low)}, {Fmt(f.High)}] is narrower than {Fmt(MinFloatRange)}, too narrow to sample; give low = high for a fixed value");
                if (f.Step is double step)
                {
                    if (f.Log) throw new SearchSpaceException(name, "step and log cannot be combined for a float");
                    if (!(step > 0) || !double.IsFinite(step)) throw new SearchSpaceException(name, $"\"step\" must be a finite number > 0, got {Fmt(step)}");
                    var k = (f.High - f.Low) / step;
                    if (Math.Abs(k - Math.Round(k)) > 1e-8 * Math.Max(1, k))
                        throw new SearchSpaceException(name, $"step {Fmt(step)} does not divide the range [{Fmt(f.Low)}, {Fmt(f.High)}]");
                    // Grid indices are held in doubles; past 2^53 points they are no longer exact.
                    if (Math.Round(k) >= ParamDistribution.MaxExactInteger)
                        throw new SearchSpaceException(name,
                            $"step {Fmt(step)} gives {Fmt(Math.Round(k) + 1)} grid points on [{Fmt(f.Low)}, {Fmt(f.High)}], more than 2^53 (9007199254740992); use a coarser step or none");
                    if (!double.IsFinite(f.High - f.Low + step))
                        throw new SearchSpaceException(name, $"the range [{Fmt(f.Low)}, {Fmt(f.High)}] with step {Fmt(step)} overflows a double");
                }
                break;
            case IntDistribution i:
                // Internal values are doubles: beyond ±2^53 neighbouring integers share one double.
                if (i.Low is < -ParamDistribution.MaxExactInteger or > ParamDistribution.MaxExactInteger
                    || i.High is < -ParamDistribution.MaxExactInteger or > ParamDistribution.MaxExactInteger)
                    throw new SearchSpaceException(name,
                        $"\"low\" and \"high\" of an int must lie within ±2^53 (±9007199254740992), the integers a double holds exactly; got [{i.Low}, {i.High}]");
                if (i.Low > i.High)
                    throw new SearchSpaceException(name, $"low ({i.Low}) is greater than high ({i.High})");
                if (i.Step <= 0) throw new SearchSpaceException(name, $"step must be > 0, got {i.Step}");
                if (i.Log && i.Low <= 0)
                    throw new SearchSpaceException(name, $"a log scale needs low > 0, got low = {i.Low}");
                if (i.Log && i.Step != 1)
                    throw new SearchSpaceException(name, $"a log-scaled int needs step 1, got {i.Step}");
                if ((i.High - i.Low) % i.Step != 0)
                    throw new SearchSpaceException(name, $"step {i.Step} does not divide the range [{i.Low}, {i.High}]");
                break;
            case CategoricalDistribution c:
                if (c.Choices.Count == 0) throw new SearchSpaceException(name, "choices must not be empty");
                for (var a = 0; a < c.Choices.Count; a++)
                {
                    if (c.Choices[a] is not (long or double or string or bool))
                        throw new SearchSpaceException(name, $"choice '{c.Choices[a]}' must be a number, a string or a boolean");
                    if (c.Choices[a] is double d && !double.IsFinite(d))
                        throw new SearchSpaceException(name, $"choices[{a}] must be a finite number, got {Fmt(d)}");
                    for (var b = 0; b < a; b++)
                    {
                        if (ChoiceEquality.AreEqual(c.Choices[a], c.Choices[b]))
                            throw new SearchSpaceException(name, $"choice '{c.Choices[a]}' is listed twice");
                    }
                }
                break;
            default:
                throw new SearchSpaceException(name, $"unsupported distribution {distribution.GetType().Name}");
        }
    }

    private void ValidateCondition(string name, ParamCondition condition)
    {
        if (!_indexByName.TryGetValue(condition.Parent, out var parentIndex))
        {
            // The constructor indexes parameters as it validates them, so a parent declared later is not indexed yet;
            // calling it unknown would send the author looking for a typo in a name that is right.
            if (Parameters.Any(p => p.Name == condition.Parent))
                throw new SearchSpaceException(name, $"condition refers to '{condition.Parent}', which is declared after it"
                    + $" (a condition may only name a parameter declared before it: move '{condition.Parent}' above '{name}')");
            throw new SearchSpaceException(name, $"condition refers to unknown parameter '{condition.Parent}'"
                + " (a condition may only name a parameter declared before it)");
        }
        if (condition.Parent == name) throw new SearchSpaceException(name, "a parameter cannot be conditional on itself");
        if (condition.Values.Count == 0)
            throw new SearchSpaceException(name, $"condition on '{condition.Parent}' lists no values");
        var parent = Parameters[parentIndex].Distribution;
        foreach (var value in condition.Values)
        {
            var possible = parent switch
            {
                CategoricalDistribution c => c.IndexOf(value) >= 0,
                _ => ChoiceEquality.IsNumber(value) && parent.Contains(parent.ToInternal(value)),
            };
            if (!possible)
                throw new SearchSpaceException(name, $"condition value '{value}' can never be taken by '{condition.Parent}'"
                    + TypeMismatchHint(value, parent, condition.Parent));
        }
    }

    /// <summary>
    /// Why a condition value that reads like one of the parent's values still matches none: its type differs (YAML
    /// keeps a quoted "16" a string and 16 a number, and choices compare by type). Empty when the types are not the cause.
    /// </summary>
    private static string TypeMismatchHint(object value, ParamDistribution parent, string parentName)
    {
        static string Kind(object v) => v switch { string => "a string", bool => "a boolean", _ => "a number" };
        static string Text(object v) => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        if (parent is CategoricalDistribution c)
        {
            var lookalike = c.Choices.FirstOrDefault(choice => Text(choice) == Text(value) && Kind(choice) != Kind(value));
            return lookalike is null ? ""
                : $" (it is {Kind(value)}, and the choice {Text(lookalike)} is {Kind(lookalike)}: write it as the choice is written)";
        }
        return value is string ? $" (it is a string, and '{parentName}' takes numbers: write it without quotes)" : "";
    }

    /// <summary>
    /// The narrowest non-empty range a linear float may have. Kernel widths are at least a hundredth of
    /// the range and TPE divides by them; below this they underflow towards subnormals and give NaN.
    /// </summary>
    public const double MinFloatRange = 1e-300;

    private static string Fmt(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- JSON (SPACE.json format)

    private static readonly HashSet<string> FloatKeys = ["type", "low", "high", "log", "step", "when"];
    private static readonly HashSet<string> IntKeys = ["type", "low", "high", "log", "step", "when"];
    private static readonly HashSet<string> CategoricalKeys = ["type", "choices", "when"];

    /// <summary>
    /// Parses the SPACE.json format: an object of parameter name → {"type": "float"|"int"|"categorical", ...}.
    /// </summary>
    public static SearchSpace FromJson(string json)
    {
        JsonNode? root;
        try
        {
            using (var document = JsonDocument.Parse(json))
            {
                RejectDuplicateKeys(document.RootElement, "(space)");
            }
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SearchSpaceException("(space)", $"not valid JSON: {e.Message}");
        }
        if (root is not JsonObject obj) throw new SearchSpaceException("(space)", "the space must be a JSON object of parameters");
        return FromJson(obj);
    }

    /// <summary>JsonObject silently refuses duplicate keys only when enumerated; name them up front instead.</summary>
    private static void RejectDuplicateKeys(JsonElement element, string owner)
    {
        if (element.ValueKind != JsonValueKind.Object) return;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                throw owner == "(space)"
                    ? new SearchSpaceException(property.Name, "is declared twice")
                    : new SearchSpaceException(owner, $"key '{property.Name}' is given twice");
            }
            RejectDuplicateKeys(property.Value, owner == "(space)" ? property.Name : owner);
        }
    }

    public static SearchSpace FromJson(JsonObject obj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var definitions = new List<ParamDefinition>();
        foreach (var (name, node) in obj)
        {
            if (!seen.Add(name)) throw new SearchSpaceException(name, "is declared twice");
            definitions.Add(ParseParam(name, node));
        }
        return new SearchSpace(definitions);
    }

    private static ParamDefinition ParseParam(string name, JsonNode? node)
    {
        if (node is not JsonObject p) throw new SearchSpaceException(name, "must be an object with a \"type\"");
        var type = p["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t
            : throw new SearchSpaceException(name, "missing \"type\" (float, int or categorical)");
        var allowed = type switch
        {
            "float" => FloatKeys,
            "int" => IntKeys,
            "categorical" => CategoricalKeys,
            _ => throw new SearchSpaceException(name, $"unknown type '{type}' (expected float, int or categorical)"),
        };
        foreach (var (key, _) in p)
        {
            if (!allowed.Contains(key)) throw new SearchSpaceException(name, $"unknown key '{key}' for a {type} parameter");
        }
        ParamDistribution distribution = type switch
        {
            "float" => new FloatDistribution(
                RequiredNumber(name, p, "low"), RequiredNumber(name, p, "high"),
                OptionalBool(name, p, "log"), p["step"] is null ? null : RequiredNumber(name, p, "step")),
            "int" => new IntDistribution(
                RequiredInteger(name, p, "low"), RequiredInteger(name, p, "high"),
                p["step"] is null ? 1 : RequiredInteger(name, p, "step"), OptionalBool(name, p, "log")),
            _ => new CategoricalDistribution(ParseChoices(name, p["choices"], "choices")),
        };
        return new ParamDefinition(name, distribution, ParseConditions(name, p["when"]));
    }

    private static IReadOnlyList<ParamCondition> ParseConditions(string name, JsonNode? when)
    {
        if (when is null) return [];
        if (when is not JsonObject w)
            throw new SearchSpaceException(name, "\"when\" must be an object of parent → [values]");
        var conditions = new List<ParamCondition>();
        foreach (var (parent, values) in w)
        {
            conditions.Add(new ParamCondition(parent, ParseChoices(name, values, $"when.{parent}")));
        }
        return conditions;
    }

    private static IReadOnlyList<object> ParseChoices(string name, JsonNode? node, string key)
    {
        if (node is not JsonArray array) throw new SearchSpaceException(name, $"\"{key}\" must be a list");
        return array.Select(item => ParseScalar(name, item, key)).ToList();
    }

    /// <summary>A JSON scalar as long (integral numbers), double, string or bool.</summary>
    public static object ParseScalar(string name, JsonNode? item, string key)
    {
        if (item is JsonValue value)
        {
            var element = value.GetValue<JsonElement>();
            switch (element.ValueKind)
            {
                case JsonValueKind.String: return element.GetString()!;
                case JsonValueKind.True: return true;
                case JsonValueKind.False: return false;
                case JsonValueKind.Number:
                    if (element.TryGetInt64(out var l)) return l;
                    if (element.TryGetDouble(out var d) && double.IsFinite(d)) return d;
                    throw new SearchSpaceException(name, $"\"{key}\" holds {element.GetRawText()}, which is not a finite double");
            }
        }
        throw new SearchSpaceException(name, $"\"{key}\" holds {item?.ToJsonString() ?? "null"}, expected a number, string or boolean");
    }

    private static double RequiredNumber(string name, JsonObject p, string key)
    {
        if (p[key] is JsonValue v && v.GetValue<JsonElement>() is { ValueKind: JsonValueKind.Number } e)
        {
            // 1e400 is valid JSON but no double: name the key rather than pass on ∞ or a FormatException.
            return e.TryGetDouble(out var d) && double.IsFinite(d) ? d
                : throw new SearchSpaceException(name, $"\"{key}\" must be a finite number, got {e.GetRawText()}");
        }
        throw new SearchSpaceException(name, p[key] is null ? $"missing \"{key}\"" : $"\"{key}\" must be a number");
    }

    private static long RequiredInteger(string name, JsonObject p, string key)
    {
        if (p[key] is JsonValue v && v.GetValue<JsonElement>() is { ValueKind: JsonValueKind.Number } e)
        {
            if (e.TryGetInt64(out var l)) return l;
            if (e.TryGetDouble(out var d) && d == Math.Round(d))
                throw new SearchSpaceException(name, $"\"{key}\" = {e.GetRawText()} is too large: an int must lie within ±2^53 (±9007199254740992)");
        }
        throw new SearchSpaceException(name, p[key] is null ? $"missing \"{key}\"" : $"\"{key}\" must be an integer for an int parameter");
    }

    private static bool OptionalBool(string name, JsonObject p, string key)
    {
        if (p[key] is null) return false;
        if (p[key] is JsonValue v && v.GetValue<JsonElement>() is { ValueKind: JsonValueKind.True or JsonValueKind.False } e) return e.GetBoolean();
        throw new SearchSpaceException(name, $"\"{key}\" must be true or false");
    }

    /// <summary>The space in SPACE.json format; FromJson(ToJson()) gives an equal space.</summary>
    public JsonObject ToJsonObject()
    {
        var root = new JsonObject();
        foreach (var definition in Parameters)
        {
            var p = new JsonObject();
            switch (definition.Distribution)
            {
                case FloatDistribution f:
                    p["type"] = "float"; p["low"] = f.Low; p["high"] = f.High;
                    if (f.Log) p["log"] = true;
                    if (f.Step is double s) p["step"] = s;
                    break;
                case IntDistribution i:
                    p["type"] = "int"; p["low"] = i.Low; p["high"] = i.High;
                    if (i.Step != 1) p["step"] = i.Step;
                    if (i.Log) p["log"] = true;
                    break;
                case CategoricalDistribution c:
                    p["type"] = "categorical";
                    p["choices"] = new JsonArray(c.Choices.Select(ScalarToNode).ToArray());
                    break;
            }
            if (definition.IsConditional)
            {
                var when = new JsonObject();
                foreach (var condition in definition.Conditions)
                {
                    when[condition.Parent] = new JsonArray(condition.Values.Select(ScalarToNode).ToArray());
                }
                p["when"] = when;
            }
            root[definition.Name] = p;
        }
        return root;
    }

    /// <summary>
    /// <see cref="ToJsonObject"/> as text, built once: the space never changes, and <see cref="Equals(SearchSpace?)"/>
    /// compares it on every shared ask (<see cref="Sampling.RelatedTasks.Translate"/>).
    /// </summary>
    public string ToJson() => _json ??= ToJsonObject().ToJsonString();

    public static JsonNode? ScalarToNode(object value) => value switch
    {
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        _ => throw new ArgumentException($"unsupported scalar {value}"),
    };
}
