using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Studies.Tests;

/// <summary>
/// A YAML document as the JSON an editor's schema check sees, typed the way yaml-language-server types it:
/// YAML 1.2 core schema for plain scalars (null, ~ and empty → null; true/false → booleans; decimal, 0x and 0o
/// integers; floats such as 1.0e-5), and anything quoted, a block scalar or an explicit !!str stays a string.
/// Written from the YAML 1.2 spec (10.3.2), not from the parser's resolver, so the schema tests do not
/// borrow the parser's reading of a value.
/// </summary>
internal static partial class YamlJson
{
    private const string StringTag = "tag:yaml.org,2002:str";

    /// <summary>The single document of <paramref name="yaml"/> as JSON (null for an empty document).</summary>
    public static JsonNode? Convert(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    public static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode mapping => ConvertMapping(mapping),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException($"YAML node {node.NodeType} at line {node.Start.Line}"),
    };

    private static JsonObject ConvertMapping(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            // JSON keys are strings: a key is its text as written (a null key such as ~ becomes "").
            if (key is not YamlScalarNode scalar) throw new NotSupportedException($"a complex mapping key at line {key.Start.Line}");
            var name = Scalar(scalar) is null ? "" : scalar.Value ?? "";
            result.Add(name, Convert(value));
        }
        return result;
    }

    private static JsonNode? Scalar(YamlScalarNode node)
    {
        var text = node.Value ?? "";
        var plain = node.Style is ScalarStyle.Plain or ScalarStyle.Any && (node.Tag.IsEmpty || node.Tag.Value != StringTag);
        if (!plain) return JsonValue.Create(text);
        if (CoreNull().IsMatch(text)) return null;
        if (CoreBool().IsMatch(text)) return JsonValue.Create(text[0] is 't' or 'T');
        if (CoreInt().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? JsonValue.Create(integer)
                : JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
        }
        if (CoreHex().IsMatch(text)) return JsonValue.Create(System.Convert.ToInt64(text[2..], 16));
        if (CoreOctal().IsMatch(text)) return JsonValue.Create(System.Convert.ToInt64(text[2..], 8));
        if (CoreFloat().IsMatch(text))
        {
            var number = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            // 1e400 is a float that no double holds: like .inf it has no JSON number, see below.
            if (double.IsFinite(number)) return JsonValue.Create(number);
        }
        // .inf, -.inf and .nan are floats to the editor, but JSON has no number for them: they stay strings
        // here, which every number key refuses, as the parser refuses them ("expected a finite number").
        return JsonValue.Create(text);
    }

    [GeneratedRegex("^(|~|null|Null|NULL)$")]
    private static partial Regex CoreNull();

    [GeneratedRegex("^(true|True|TRUE|false|False|FALSE)$")]
    private static partial Regex CoreBool();

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex CoreInt();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex CoreHex();

    [GeneratedRegex("^0o[0-7]+$")]
    private static partial Regex CoreOctal();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex CoreFloat();
}
