using System.Text.Json;
using System.Text.Json.Serialization;

namespace SweepCluster.Cli.Rendering;

/// <summary>JSON output of every verb: snake_case keys, enums as lower-case strings.</summary>
public static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // A pruned trial's value may be NaN and a completed one ±∞; JSON has neither, and the default
        // options throw on them. Written as the strings "NaN", "Infinity", "-Infinity" (as Python's json reads back with float()).
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
