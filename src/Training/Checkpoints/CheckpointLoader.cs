using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Checkpoints;

/// <summary>
/// What loading a checkpoint did: keys loaded, head keys left freshly initialised (absent, or shaped for
/// another number of labels), and pre-training heads the classifier has no use for — said, not silent.
/// </summary>
public sealed record LoadReport(string File, int Loaded, IReadOnlyList<string> NewlyInitialised, IReadOnlyList<string> Ignored);

/// <summary>
/// Loads checkpoint weights into a module whose parameter names mirror the checkpoint's keys. Base-model
/// checkpoints saved without the family prefix ("embeddings.…" for "bert.embeddings.…") are matched by
/// adding the prefix, and the legacy TensorFlow-era names transformers still renames on load are accepted:
/// a norm's "gamma" and "beta" are its "weight" and "bias" (the original bert-base-uncased
/// pytorch_model.bin has "LayerNorm.gamma"; transformers' PreTrainedModel._fix_state_dict_key_on_load
/// renames LayerNorm.gamma/beta, and releases before 4.40 renamed any key holding "gamma"/"beta").
/// A missing, unexpected or wrongly shaped key is an error naming each one; only the task head
/// (classifier, pre_classifier, pooler for heads a base checkpoint lacks) may be missing.
/// </summary>
public static class CheckpointLoader
{
    private static readonly string[] HeadPrefixes = ["classifier.", "pre_classifier.", "pooler."];

    /// <summary>
    /// Heads of pre-training checkpoints (masked-LM, replaced-token detection) that a sequence classifier
    /// drops, as transformers does: BERT's cls., RoBERTa's lm_head., ELECTRA's discriminator_predictions.
    /// and generator heads, DistilBERT's vocab_*, DeBERTa's lm_predictions. and mask_predictions.
    /// </summary>
    private static readonly string[] PretrainingHeadPrefixes =
        ["cls.", "lm_head.", "discriminator_predictions.", "generator_predictions.", "generator_lm_head.", "vocab_transform.", "vocab_layer_norm.", "vocab_projector.", "lm_predictions.", "mask_predictions."];

    /// <summary>
    /// Loads model.safetensors (preferred) or pytorch_model.bin from <paramref name="folder"/> into
    /// <paramref name="module"/>. A safetensors file is checked by its header first, then read one tensor
    /// at a time into the module, so loading peaks near the model's own size plus its largest tensor.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has neither file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or keys are missing, unexpected or misshapen (each named).</exception>
    public static LoadReport Load(nn.Module module, string folder) =>
        WithWeights(folder, (shapes, fetch, owned, source) => Apply(module, shapes, fetch, owned, source));

    /// <summary>
    /// Checks that the checkpoint in <paramref name="folder"/> fits <paramref name="module"/> (every key and
    /// shape, as <see cref="Load"/> would) without copying any weight: a safetensors file is read by its
    /// header only. `sweep submit --check` uses it so a checkpoint no trial could load is refused at the door.
    /// </summary>
    /// <exception cref="FileNotFoundException">The folder has neither weights file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed, or keys are missing, unexpected or misshapen (each named).</exception>
    public static LoadReport Check(nn.Module module, string folder) =>
        WithWeights(folder, (shapes, _, _, source) =>
        {
            var plan = Plan(module, shapes, source);
            return new LoadReport(source, plan.Mapped.Count, plan.NewHead, plan.Ignored);
        });

    /// <summary>
    /// Opens model.safetensors (preferred: the format Hugging Face prefers, and it needs no pickle at all;
    /// read by its header, tensors fetched one at a time and owned by the caller) or pytorch_model.bin
    /// (read whole, disposed afterwards), and hands <paramref name="use"/> every key's shape and a fetch.
    /// </summary>
    private static LoadReport WithWeights(string folder, Func<IReadOnlyDictionary<string, long[]>, Func<string, Tensor>, bool, string, LoadReport> use)
    {
        var safetensors = Path.Combine(folder, "model.safetensors");
        var pickle = Path.Combine(folder, "pytorch_model.bin");
        if (File.Exists(safetensors))
        {
            using var file = SafeTensors.Open(safetensors);
            return use(file.Entries.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal), file.Read, true, safetensors);
        }
        if (!File.Exists(pickle)) throw new FileNotFoundException($"{folder}: no model.safetensors or pytorch_model.bin", safetensors);
        var weights = PyTorchArchive.Read(pickle);
        try
        {
            return use(weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal), key => weights[key], false, pickle);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Copies <paramref name="weights"/> (not disposed) into <paramref name="module"/>; <paramref name="source"/> names them in errors.</summary>
    /// <exception cref="InvalidDataException">Keys are missing, unexpected or misshapen (each named).</exception>
    public static LoadReport Apply(nn.Module module, IReadOnlyDictionary<string, Tensor> weights, string source) =>
        Apply(module, weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal), key => weights[key], owned: false, source);

    /// <summary>
    /// Checks every key and shape before copying anything, then fetches each tensor in turn
    /// (disposing it after the copy when <paramref name="owned"/>), so a streaming source holds one at a time.
    /// </summary>
    private static LoadReport Apply(nn.Module module, IReadOnlyDictionary<string, long[]> shapes, Func<string, Tensor> fetch, bool owned, string source)
    {
        var (expected, mapped, newHead, ignored) = Plan(module, shapes, source);
        using (no_grad())
        {
            foreach (var (key, (name, _)) in mapped)
            {
                var tensor = fetch(name);
                try
                {
                    expected[key].copy_(tensor); // copy_ converts the dtype (a float16 checkpoint into float32 weights)
                }
                finally
                {
                    if (owned) tensor.Dispose();
                }
            }
        }
        return new LoadReport(source, mapped.Count, newHead, ignored);
    }

    private sealed record LoadPlan(
        Dictionary<string, Tensor> Expected, Dictionary<string, (string Name, long[] Shape)> Mapped, List<string> NewHead, List<string> Ignored);

    /// <summary>Maps checkpoint keys onto the module's (model key → checkpoint key and shape) and refuses, naming each, what does not fit.</summary>
    private static LoadPlan Plan(nn.Module module, IReadOnlyDictionary<string, long[]> shapes, string source)
    {
        var expected = module.state_dict();
        var prefix = expected.Keys.Select(k => k.Split('.')[0]).FirstOrDefault(p => !HeadPrefixes.Any(h => h.StartsWith(p + ".", StringComparison.Ordinal))) ?? "";
        string? Match(string key) => expected.ContainsKey(key) ? key : expected.ContainsKey($"{prefix}.{key}") ? $"{prefix}.{key}" : null;
        string Resolve(string key) => Match(key) ?? (LegacyName(key) is { } modern ? Match(modern) : null) ?? key;
        // Model key -> (checkpoint key, shape). Two checkpoint keys for one parameter (LayerNorm.gamma beside
        // LayerNorm.weight) would make the load depend on their order: refuse, naming both.
        var mapped = new Dictionary<string, (string Name, long[] Shape)>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (name, shape) in shapes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var key = Resolve(name);
            if (mapped.TryGetValue(key, out var other)) problems.Add($"keys '{other.Name}' and '{name}' both hold '{key}'");
            else mapped[key] = (name, shape);
        }
        var ignored = mapped.Keys.Where(k => !expected.ContainsKey(k) && IsIgnorable(k, prefix)).Order().ToList();
        foreach (var key in ignored) mapped.Remove(key);
        // A classifier head trained for another number of labels is replaced, like a missing one.
        var reshapedHead = mapped.Where(kv => expected.TryGetValue(kv.Key, out var target) && IsHead(kv.Key) && !kv.Value.Shape.SequenceEqual(target.shape))
            .Select(kv => kv.Key).ToList();
        foreach (var key in reshapedHead) mapped.Remove(key);

        foreach (var key in mapped.Keys.Where(k => !expected.ContainsKey(k)).Order()) problems.Add($"unexpected key '{key}'");
        var missing = expected.Keys.Where(k => !mapped.ContainsKey(k)).Order().ToList();
        // BERT's pooler belongs to the base model, yet a checkpoint saved without it (an MLM-only export)
        // is usable: like transformers, initialise it and say so.
        var newHead = missing.Where(k => IsHead(k) || k.StartsWith(prefix + ".pooler.", StringComparison.Ordinal)).ToList();
        foreach (var key in missing.Except(newHead)) problems.Add($"missing key '{key}'");
        foreach (var (key, (_, shape)) in mapped.Where(kv => expected.ContainsKey(kv.Key)))
        {
            if (!shape.SequenceEqual(expected[key].shape))
                problems.Add($"key '{key}' has shape [{string.Join(", ", shape)}], the model expects [{string.Join(", ", expected[key].shape)}]");
        }
        if (problems.Count > 0) throw new InvalidDataException($"{source} does not fit the model: {string.Join("; ", problems)}");
        return new LoadPlan(expected, mapped, newHead, ignored);
    }

    /// <summary>
    /// The modern name of a legacy key, or null: a last segment "gamma" is "weight" and "beta" is "bias"
    /// (norm parameters in checkpoints converted from TensorFlow BERT), as transformers renames them.
    /// </summary>
    private static string? LegacyName(string key)
    {
        var dot = key.LastIndexOf('.');
        return key[(dot + 1)..] switch
        {
            "gamma" => key[..(dot + 1)] + "weight",
            "beta" => key[..(dot + 1)] + "bias",
            _ => null,
        };
    }

    private static bool IsHead(string key) => HeadPrefixes.Any(h => key.StartsWith(h, StringComparison.Ordinal));

    /// <summary>Pre-training heads, position-id buffers older checkpoints saved, and a pooler the model does not have (RoBERTa's).</summary>
    private static bool IsIgnorable(string key, string prefix) =>
        PretrainingHeadPrefixes.Any(h => key.StartsWith(h, StringComparison.Ordinal))
        || key.EndsWith(".position_ids", StringComparison.Ordinal)
        || key.StartsWith(prefix + ".pooler.", StringComparison.Ordinal);
}
