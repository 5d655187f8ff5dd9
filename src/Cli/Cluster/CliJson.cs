using System.Text.Json;
using System.Text.Json.Serialization;

namespace SweepCluster.Cli.Cluster;

/// <summary>JSON output of every verb: snake_case keys, enums as lower-case strings.</summary>
public static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
