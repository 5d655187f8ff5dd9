using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SweepCluster.Cli.Protocol;

/// <summary>A request the server refuses; the message says what is wrong with it.</summary>
public sealed class ProtocolException(string message) : Exception(message);

/// <summary>One request line, with typed access to its fields. Fields not read by the handler are refused, so a typo is reported rather than ignored.</summary>
internal sealed class ProtocolRequest
{
    private static readonly JsonDocumentOptions ParseOptions = new() { AllowDuplicateProperties = false };

    private readonly JsonElement _root;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal) { "op" };

    private ProtocolRequest(JsonElement root, string op)
    {
        _root = root;
        Op = op;
    }

    public string Op { get; }

    public static ProtocolRequest Parse(string line)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(QuoteNonFiniteLiterals(line), ParseOptions);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ProtocolException($"not valid JSON: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ProtocolException($"a request must be a JSON object like {{\"op\":\"ask\"}}, got {Describe(root)}");
        if (!root.TryGetProperty("op", out var op)) throw new ProtocolException("missing \"op\"");
        if (op.ValueKind != JsonValueKind.String) throw new ProtocolException($"\"op\" must be a string, got {Describe(op)}");
        return new ProtocolRequest(root, op.GetString()!);
    }

    public int RequiredInt(string name)
    {
        var element = Required(name);
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value)) return value;
        throw new ProtocolException($"\"{name}\" must be an integer, got {Describe(element)}");
    }

    /// <summary>An integer field that may be absent (null when it is).</summary>
    public int? OptionalInt(string name)
    {
        if (Optional(name) is not { } element) return null;
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value)) return value;
        throw new ProtocolException($"\"{name}\" must be an integer, got {Describe(element)}");
    }

    /// <summary>A number; "NaN", "Infinity" and "-Infinity" are accepted as strings too, since a diverged run must still be reportable.</summary>
    public double RequiredNumber(string name) => Number(name, Required(name));

    public double? OptionalNumber(string name) => Optional(name) is { } element ? Number(name, element) : null;

    public string? OptionalString(string name)
    {
        if (Optional(name) is not { } element) return null;
        if (element.ValueKind == JsonValueKind.String) return element.GetString();
        throw new ProtocolException($"\"{name}\" must be a string, got {Describe(element)}");
    }

    /// <summary>Call once the handler has read every field it understands.</summary>
    public void RejectUnreadFields()
    {
        foreach (var property in _root.EnumerateObject())
        {
            if (!_read.Contains(property.Name)) throw new ProtocolException($"unknown field \"{property.Name}\" for op \"{Op}\"");
        }
    }

    private JsonElement Required(string name) =>
        Optional(name) ?? throw new ProtocolException($"op \"{Op}\" needs \"{name}\"");

    private JsonElement? Optional(string name)
    {
        _read.Add(name);
        return _root.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null ? element : null;
    }

    private static double Number(string name, JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out var value)) return value;
        if (element.ValueKind == JsonValueKind.String)
        {
            switch (element.GetString())
            {
                case "NaN": return double.NaN;
                case "Infinity": return double.PositiveInfinity;
                case "-Infinity": return double.NegativeInfinity;
            }
        }
        throw new ProtocolException($"\"{name}\" must be a number, got {Describe(element)}");
    }

    private static string Describe(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 40 ? text : text[..37] + "...";
    }

    /// <summary>
    /// Python's json module writes non-finite floats as bare NaN / Infinity / -Infinity, which is not JSON.
    /// Quoting them (outside strings) lets such clients report a diverged loss.
    /// </summary>
    internal static string QuoteNonFiniteLiterals(string line)
    {
        if (!line.Contains("NaN", StringComparison.Ordinal) && !line.Contains("Infinity", StringComparison.Ordinal)) return line;
        var result = new StringBuilder(line.Length + 8);
        var inString = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < line.Length) result.Append(line[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"')
            {
                inString = true;
                result.Append(c);
                continue;
            }
            var literal = new[] { "NaN", "Infinity", "-Infinity" }.FirstOrDefault(l => IsTokenAt(line, i, l));
            if (literal is null)
            {
                result.Append(c);
                continue;
            }
            result.Append('"').Append(literal).Append('"');
            i += literal.Length - 1;
        }
        return result.ToString();
    }

    private static bool IsTokenAt(string line, int index, string token) =>
        string.CompareOrdinal(line, index, token, 0, token.Length) == 0
        && (index == 0 || !char.IsLetterOrDigit(line[index - 1]))
        && (index + token.Length == line.Length || !char.IsLetterOrDigit(line[index + token.Length]));
}

/// <summary>Writes protocol answers: one compact JSON object per line.</summary>
internal static class ProtocolJson
{
    // Answers go to a pipe, not a web page: escaping quotes and non-ASCII as \uXXXX would only hurt readability.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Write(Action<Utf8JsonWriter> writeProperties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string Error(string message) => Write(w => w.WriteString("error", message));

    /// <summary>A parameter value with its JSON type: floats keep a fraction part so clients see a float even for 2.0.</summary>
    public static void WriteValue(Utf8JsonWriter writer, object value)
    {
        switch (value)
        {
            case double d: WriteFloat(writer, d); break;
            case long l: writer.WriteNumberValue(l); break;
            case int i: writer.WriteNumberValue(i); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            default: throw new InvalidOperationException($"unsupported parameter value {value} ({value.GetType().Name})");
        }
    }

    /// <summary>
    /// Finite values in shortest round-trip form. JSON has no NaN or infinity, so those are written as the
    /// strings "NaN", "Infinity" and "-Infinity", which requests accept too (a completed trial may have the
    /// value +∞; null would read as "no value").
    /// </summary>
    public static void WriteFloat(Utf8JsonWriter writer, double value)
    {
        if (!double.IsFinite(value))
        {
            writer.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            return;
        }
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.IndexOfAny(['.', 'E', 'e']) < 0) text += ".0";
        writer.WriteRawValue(text);
    }
}
