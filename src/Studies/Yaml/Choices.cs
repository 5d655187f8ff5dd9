using System.Diagnostics.CodeAnalysis;

namespace SweepCluster.Studies.Yaml;

/// <summary>
/// The names a key accepts and what each means. Aliases are accepted but not advertised, so an
/// error lists only the canonical names.
/// </summary>
internal sealed class Choices<T>(string noun, IReadOnlyList<(string Name, T Value)> options, IReadOnlyList<(string Name, T Value)>? aliases = null)
{
    public bool TryGet(string name, [MaybeNullWhen(false)] out T value)
    {
        foreach (var (candidate, meaning) in options.Concat(aliases ?? []))
        {
            if (candidate == name)
            {
                value = meaning;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>Whether <paramref name="value"/> is one these choices (or an alias) mean; an undefined enum value is not.</summary>
    public bool Has(T value) => options.Concat(aliases ?? []).Any(o => EqualityComparer<T>.Default.Equals(o.Value, value));

    public string Unknown(string name) => $"unknown {noun} '{StudyLimits.Echo(name)}' (expected one of {string.Join(", ", options.Select(o => o.Name))})";
}

internal static class Choices
{
    /// <summary>Choices whose value is the name itself (kinds that src/Search parses by name).</summary>
    public static Choices<string> Names(string noun, params string[] names) => new(noun, names.Select(n => (n, n)).ToList());
}
