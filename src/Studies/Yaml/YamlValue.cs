using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SweepCluster.Studies.Yaml;

/// <summary>Typed reads of one YAML node; a node of the wrong kind is an error naming its key path and line.</summary>
internal static class YamlValue
{
    public static int LineOf(YamlNode node) => checked((int)node.Start.Line);

    public static StudySpecException Error(YamlNode node, string path, string problem) => new(path, LineOf(node), problem);

    public static StudySpecException WrongType(YamlNode node, string path, string expected) =>
        Error(node, path, $"expected {expected}, got {YamlScalar.Describe(node)}");

    /// <summary>Any non-empty scalar, as written: a column named <c>2</c> is the string "2".</summary>
    public static string String(YamlNode node, string path)
    {
        if (node is not YamlScalarNode scalar || YamlScalar.IsNull(node)) throw WrongType(node, path, "a string");
        if (scalar.Value is not { Length: > 0 } text) throw Error(node, path, "must not be empty");
        if (text.Length > StudyLimits.MaxStringLength)
            throw Error(node, path, $"must be at most {StudyLimits.MaxStringLength} characters, got {StudyLimits.N(text.Length)}: '{StudyLimits.Echo(text)}'");
        return text;
    }

    public static long Integer(YamlNode node, string path, Bounds bounds)
    {
        if (node is not YamlScalarNode scalar || YamlScalar.Resolve(scalar) is not long value) throw WrongType(node, path, "an integer");
        CheckBounds(value, node, path, bounds);
        return value;
    }

    public static int Int(YamlNode node, string path, Bounds bounds)
    {
        var value = Integer(node, path, bounds);
        if (value is < int.MinValue or > int.MaxValue) throw Error(node, path, $"{value} is too large");
        return (int)value;
    }

    /// <summary>An integer or a float, finite.</summary>
    public static double Number(YamlNode node, string path, Bounds bounds)
    {
        var value = node is YamlScalarNode scalar ? YamlScalar.Resolve(scalar) : null;
        var number = value switch
        {
            long l => l,
            double d when double.IsFinite(d) => d,
            _ => throw WrongType(node, path, "a finite number"),
        };
        CheckBounds(number, node, path, bounds);
        return number;
    }

    public static bool Bool(YamlNode node, string path) =>
        node is YamlScalarNode scalar && YamlScalar.Resolve(scalar) is bool value ? value : throw WrongType(node, path, "true or false");

    public static T Choice<T>(YamlNode node, string path, Choices<T> choices)
    {
        var name = String(node, path);
        return choices.TryGet(name, out var value) ? value : throw Error(node, path, choices.Unknown(name));
    }

    public static IReadOnlyList<YamlNode> Sequence(YamlNode node, string path) =>
        node is YamlSequenceNode sequence ? sequence.Children.ToList() : throw WrongType(node, path, "a list");

    public static IReadOnlyList<string> StringList(YamlNode node, string path) =>
        Sequence(node, path).Select((item, i) => String(item, KeyPaths.Item(path, i))).ToList();

    private static void CheckBounds(double value, YamlNode node, string path, Bounds bounds)
    {
        if (!bounds.Contains(value))
            throw Error(node, path, $"must be {bounds}, got {value.ToString(CultureInfo.InvariantCulture)}");
    }
}
