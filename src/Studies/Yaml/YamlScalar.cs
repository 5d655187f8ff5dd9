using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Studies.Yaml;

/// <summary>
/// What a YAML node means under the YAML 1.2 core schema. YamlDotNet's representation model keeps every
/// scalar as text, so the study parser resolves plain scalars here: null, booleans, integers, floats;
/// anything quoted, a block scalar or an explicit <c>!!str</c> stays a string.
/// </summary>
internal static partial class YamlScalar
{
    private const string StringTag = "tag:yaml.org,2002:str";

    /// <summary>The value of a scalar: null, bool, long, double or string.</summary>
    public static object? Resolve(YamlScalarNode node)
    {
        var text = node.Value ?? "";
        if (!IsPlain(node)) return text;
        if (text is "" or "~" or "null" or "Null" or "NULL") return null;
        if (text is "true" or "True" or "TRUE") return true;
        if (text is "false" or "False" or "FALSE") return false;
        if (TryParseInteger(text, out var integer)) return integer;
        if (TryParseFloat(text, out var number)) return number;
        return text;
    }

    /// <summary>An absent value: <c>key:</c>, <c>key: ~</c> or <c>key: null</c>.</summary>
    public static bool IsNull(YamlNode node) => node is YamlScalarNode scalar && Resolve(scalar) is null;

    /// <summary>The node as an error message names it: "a mapping", "the string 'many'", "the number 3.5".</summary>
    public static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode scalar => Resolve(scalar) switch
        {
            null => "nothing",
            bool b => b ? "true" : "false",
            long l => $"the integer {l.ToString(CultureInfo.InvariantCulture)}",
            double => $"the number {scalar.Value}",
            var text => $"the string '{StudyLimits.Echo(text as string)}'",
        },
        _ => "an unsupported node",
    };

    private static bool IsPlain(YamlScalarNode node) =>
        node.Style is ScalarStyle.Plain or ScalarStyle.Any && (node.Tag.IsEmpty || node.Tag.Value != StringTag);

    private static bool TryParseInteger(string text, out long value)
    {
        value = 0;
        if (DecimalInteger().IsMatch(text))
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        if (text.StartsWith("0x", StringComparison.Ordinal) && HexInteger().IsMatch(text))
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (text.StartsWith("0o", StringComparison.Ordinal) && OctalInteger().IsMatch(text))
        {
            try
            {
                value = Convert.ToInt64(text[2..], 8);
                return true;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        return false;
    }

    private static bool TryParseFloat(string text, out double value)
    {
        value = text switch
        {
            ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" => double.PositiveInfinity,
            "-.inf" or "-.Inf" or "-.INF" => double.NegativeInfinity,
            ".nan" or ".NaN" or ".NAN" => double.NaN,
            _ => 0,
        };
        if (!double.IsFinite(value)) return true;
        return Float().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex("^0x[0-9a-fA-F]+$")]
    private static partial Regex HexInteger();

    [GeneratedRegex("^0o[0-7]+$")]
    private static partial Regex OctalInteger();

    // Integers too large for a long fall through to here and become doubles.
    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}
