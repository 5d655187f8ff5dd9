using System.Text.Json;

namespace SweepCluster.Training.Tokenization;

/// <summary>
/// The names of the framing, padding and unknown tokens: the family's defaults, overridden by
/// special_tokens_map.json and then tokenizer_config.json where a checkpoint names its own.
/// Hugging Face writes each either as a string or as an object with "content".
/// </summary>
public sealed record SpecialTokens(string Start, string End, string Pad, string Unknown)
{
    public static readonly SpecialTokens WordPiece = new("[CLS]", "[SEP]", "[PAD]", "[UNK]");
    public static readonly SpecialTokens Roberta = new("<s>", "</s>", "<pad>", "<unk>");
    public static readonly SpecialTokens DebertaV3 = new("[CLS]", "[SEP]", "[PAD]", "[UNK]");

    public static SpecialTokens Read(string folder, SpecialTokens defaults)
    {
        var tokens = defaults;
        foreach (var file in new[] { "special_tokens_map.json", "tokenizer_config.json" })
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path)) continue;
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            var root = json.RootElement;
            // The classifier frames one sequence as cls … sep (RoBERTa's cls/sep are its <s>/</s>).
            tokens = new SpecialTokens(
                Name(root, "cls_token") ?? tokens.Start,
                Name(root, "sep_token") ?? tokens.End,
                Name(root, "pad_token") ?? tokens.Pad,
                Name(root, "unk_token") ?? tokens.Unknown);
        }
        return tokens;
    }

    private static string? Name(JsonElement root, string key) =>
        !root.TryGetProperty(key, out var value) ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) ? content.GetString()
        : null;

    /// <summary>The ids of these tokens in <paramref name="vocabulary"/>, or an error naming the token the vocabulary lacks.</summary>
    public SpecialTokenIds Resolve(Func<string, int?> vocabulary, string folder) =>
        new(Id(vocabulary, Start, folder), Id(vocabulary, End, folder), Id(vocabulary, Pad, folder), Id(vocabulary, Unknown, folder));

    private static int Id(Func<string, int?> vocabulary, string token, string folder) =>
        vocabulary(token) ?? throw new InvalidDataException($"{folder}: the vocabulary has no {token} token");
}
