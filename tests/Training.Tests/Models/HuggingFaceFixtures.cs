using System.Text.Json;

namespace SweepCluster.Training.Tests.Models;

/// <summary>
/// Tiny random-initialised checkpoints saved by Hugging Face transformers' own modelling code, with its
/// logits for fixed padded inputs (tools/reference/make_hf_fixtures.py; manifest.json names the versions).
/// </summary>
internal static class HuggingFaceFixtures
{
    public static string Folder(string name) => Tokenization.TokenizerFiles.Find(Path.Combine("tests/Training.Tests/Fixtures/hf", name));

    public static HuggingFaceReference Reference(string name)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder(name), "reference.json")));
        var root = json.RootElement;
        static long[][] Longs(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        static float[] Flat(JsonElement e) => e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray().SelectMany(Flat).ToArray()
            : [e.GetSingle()];
        return new HuggingFaceReference(
            Longs(root.GetProperty("input_ids")), Longs(root.GetProperty("attention_mask")),
            Flat(root.GetProperty("logits")), Flat(root.GetProperty("last_hidden_state")));
    }
}

internal sealed record HuggingFaceReference(long[][] InputIds, long[][] AttentionMask, float[] Logits, float[] LastHiddenState);
