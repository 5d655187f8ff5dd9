using System.Globalization;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Onnx;
using SweepCluster.Training.Models;
using static TorchSharp.torch;

namespace SweepCluster.Training.Checkpoints;

/// <summary>Where an ONNX encoder comes from: a .onnx file, or a .NET assembly that embeds one (and its vocabulary) as manifest resources.</summary>
public sealed record OnnxSource(byte[] Model, string ModelDirectory, string Description, string? Vocabulary);

/// <summary>What <see cref="OnnxImport.Import"/> wrote.</summary>
/// <param name="Config">The architecture written to config.json.</param>
/// <param name="Tensors">Tensors in model.safetensors.</param>
/// <param name="Renamed">Unnamed MatMul weights named after the bias they are added to (transposed to [out, in]).</param>
/// <param name="Dropped">Initialisers left out on purpose: buffers (position_ids) and graph constants (shape pieces, scalars).</param>
public sealed record OnnxImportReport(BackboneConfig Config, int Tensors, int Renamed, IReadOnlyList<string> Dropped);

/// <summary>
/// Turns an encoder exported to ONNX by torch.onnx (BERT, RoBERTa, ELECTRA or DistilBERT layouts) back into a
/// Hugging Face checkpoint folder: config.json, model.safetensors with the transformers state-dict names, and
/// the tokenizer files. The export keeps the module names of embeddings, LayerNorms and biases as initialiser
/// names, but each nn.Linear weight becomes an anonymous initialiser (e.g. "927") stored [in, out] as the
/// second input of a MatMul whose output goes into an Add with the named bias; the weight is named after that
/// bias and transposed to nn.Linear's [out, in]. Gemm weights (a pooler exported with transB = 1) keep their
/// names and layout. The architecture is read from the graph (layers, hidden size, heads from the attention
/// Reshape, intermediate size, vocabulary, positions, token types, LayerNorm epsilon) unless a config.json is
/// given. Facts of the layout: ../shared/models/README.md ("Available here").
/// </summary>
public static class OnnxImport
{
    /// <summary>Reads a .onnx file, or the single "*.onnx" manifest resource of a .NET assembly (with its "*vocab.txt" resource, if any).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">An assembly without exactly one ONNX resource, or a file that is neither.</exception>
    public static OnnxSource Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return new OnnxSource(File.ReadAllBytes(path), directory, path, null);
        var resources = ReadManifestResources(path);
        var models = resources.Keys.Where(k => k.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)).ToList();
        if (models.Count != 1)
            throw new InvalidDataException($"{path}: expected one embedded '*.onnx' resource, found {models.Count} (resources: {string.Join(", ", resources.Keys)})");
        var vocabulary = resources.Keys.FirstOrDefault(k => k.EndsWith("vocab.txt", StringComparison.OrdinalIgnoreCase));
        return new OnnxSource(resources[models[0]], directory, $"{path}!{models[0]}",
            vocabulary is null ? null : System.Text.Encoding.UTF8.GetString(resources[vocabulary]));
    }

    /// <summary>
    /// Writes the checkpoint folder <paramref name="outputFolder"/>. The vocabulary comes from <paramref name="tokenizerFolder"/>
    /// (every file but weights and config is copied) or else from the source's embedded vocab.txt (line ends normalised to LF;
    /// lower-casing set when the vocabulary has no upper-case word pieces, as uncased BERT vocabularies have none).
    /// </summary>
    /// <param name="family">The family to write; null = inferred from the initialiser names (BERT-style names are written as BERT: name RoBERTa explicitly).</param>
    /// <param name="configFile">A config.json to use instead of reading the architecture from the graph; it is checked against the weights.</param>
    /// <exception cref="InvalidDataException">
    /// The graph cannot be mapped: an anonymous weight that is not a MatMul into a named bias (named in the message), an unsupported
    /// tensor type, an architecture that cannot be read from the graph (give a config), or weights that do not fit the model.
    /// </exception>
    public static OnnxImportReport Import(OnnxSource source, string outputFolder, string? tokenizerFolder = null, string? family = null, string? configFile = null)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(source.Model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source.Description}: not an ONNX model ({e.Message})", e);
        }
        var graph = model.Graph ?? throw new InvalidDataException($"{source.Description}: the ONNX model has no graph");
        var (weights, renamed, dropped) = StateDict(graph, source);
        try
        {
            var type = family ?? InferModelType(weights.Keys);
            var configJson = configFile is not null ? JsonNode.Parse(File.ReadAllText(configFile))!.AsObject() : ReadConfig(graph, weights, type, source.Description);
            configJson["model_type"] = type;
            Directory.CreateDirectory(outputFolder);
            WriteTokenizer(source, outputFolder, tokenizerFolder);
            var options = new JsonSerializerOptions { WriteIndented = true };
            File.WriteAllText(Path.Combine(outputFolder, "config.json"), configJson.ToJsonString(options));
            var config = BackboneConfig.Load(outputFolder);

            // The weights must load into our model of that family exactly as a download would: check before writing them.
            using (var check = SequenceClassifier.Create(config.Family, config, 2))
                CheckpointLoader.Apply(check, weights, source.Description);
            SafeTensors.Write(Path.Combine(outputFolder, "model.safetensors"), weights, new Dictionary<string, string> { ["format"] = "pt", ["source"] = Path.GetFileName(source.Description) });
            return new OnnxImportReport(config, weights.Count, renamed, dropped);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>The state dict: named float initialisers as they are, anonymous MatMul weights named by their bias and transposed.</summary>
    private static (Dictionary<string, Tensor> Weights, int Renamed, List<string> Dropped) StateDict(GraphProto graph, OnnxSource source)
    {
        var consumers = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input)
            {
                if (!consumers.TryGetValue(input, out var list)) consumers[input] = list = [];
                list.Add(node);
            }
        }
        var names = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var dropped = new List<string>();
        var renamed = 0;
        var problems = new List<string>();
        foreach (var initializer in graph.Initializer)
        {
            var name = initializer.Name;
            var count = initializer.Dims.Aggregate(1L, (a, b) => a * b);
            var isFloat = initializer.DataType is (int)TensorProto.Types.DataType.Float or (int)TensorProto.Types.DataType.Float16
                or (int)TensorProto.Types.DataType.Bfloat16 or (int)TensorProto.Types.DataType.Double;
            if (IsModuleName(name))
            {
                if (name.EndsWith(".position_ids", StringComparison.Ordinal) || !isFloat)
                {
                    dropped.Add(name);
                    continue;
                }
                weights[name] = ToTensor(initializer, source);
                continue;
            }
            // Shape pieces and scalar constants (head counts, sqrt(d), epsilon) are graph constants, not weights.
            if (!isFloat || count <= 1)
            {
                dropped.Add(name);
                continue;
            }
            var matMul = consumers.GetValueOrDefault(name)?.FirstOrDefault(n => n.OpType == "MatMul" && n.Input.Count == 2 && n.Input[1] == name);
            var add = matMul is null ? null : consumers.GetValueOrDefault(matMul.Output[0])?.FirstOrDefault(n => n.OpType == "Add");
            var bias = add?.Input.FirstOrDefault(i => names.Contains(i) && i.EndsWith(".bias", StringComparison.Ordinal));
            if (bias is null || initializer.Dims.Count != 2)
            {
                var use = consumers.GetValueOrDefault(name)?.Select(n => $"{n.OpType} '{n.Name}'").FirstOrDefault() ?? "no node";
                problems.Add($"initialiser '{name}' [{string.Join(", ", initializer.Dims)}] (used by {use}) is not the weight of a MatMul whose output is added to a named '….bias'; it cannot be given a Hugging Face name");
                continue;
            }
            var weightName = bias[..^".bias".Length] + ".weight";
            if (names.Contains(weightName) || weights.ContainsKey(weightName))
            {
                problems.Add($"initialiser '{name}' maps to '{weightName}', which is already present");
                continue;
            }
            using var stored = ToTensor(initializer, source);
            weights[weightName] = stored.t().contiguous(); // ONNX MatMul keeps [in, out]; nn.Linear stores [out, in]
            renamed++;
        }
        if (problems.Count > 0)
        {
            foreach (var t in weights.Values) t.Dispose();
            throw new InvalidDataException($"{source.Description}: {string.Join("; ", problems)}");
        }
        return (weights, renamed, dropped);
    }

    /// <summary>Initialiser names that are module paths ("encoder.layer.0.attention.self.query.bias") rather than torch.onnx's numbered values ("927", "onnx::MatMul_788").</summary>
    private static bool IsModuleName(string name) =>
        name.Contains('.') && !name.StartsWith("onnx::", StringComparison.Ordinal) && !char.IsDigit(name[0]);

    private static string InferModelType(IEnumerable<string> keys)
    {
        var list = keys.ToList();
        if (list.Any(k => k.Contains("rel_embeddings", StringComparison.Ordinal))) return "deberta-v2";
        if (list.Any(k => k.Contains("attention.q_lin", StringComparison.Ordinal))) return "distilbert";
        if (list.Any(k => k.Contains("embeddings_project", StringComparison.Ordinal))) return "electra";
        if (list.Any(k => k.Contains("attention.self.query", StringComparison.Ordinal))) return "bert";
        throw new InvalidDataException($"the initialiser names fit none of bert, distilbert, roberta, electra, deberta-v2 (first names: {string.Join(", ", list.Take(5))}); name the family");
    }

    /// <summary>config.json in the family's names, read off the weights' shapes and the graph's constants.</summary>
    private static JsonObject ReadConfig(GraphProto graph, IReadOnlyDictionary<string, Tensor> weights, string type, string source)
    {
        if (type is not ("bert" or "roberta" or "electra" or "distilbert"))
            throw new InvalidDataException($"{source}: the architecture of a {type} graph is not read from the graph; give its config.json (--config)");
        long[] Shape(string key) => weights.FirstOrDefault(kv => kv.Key.EndsWith(key, StringComparison.Ordinal)).Value?.shape
            ?? throw new InvalidDataException($"{source}: no initialiser ending '{key}', so the architecture cannot be read from the graph; give its config.json (--config)");
        var layerPattern = type == "distilbert" ? "transformer.layer." : "encoder.layer.";
        var layers = weights.Keys.Select(k => k.IndexOf(layerPattern, StringComparison.Ordinal) is var i and >= 0 ? k[(i + layerPattern.Length)..].Split('.')[0] : null)
            .Where(s => s is not null).Distinct().Count();
        var word = Shape("embeddings.word_embeddings.weight");
        var positions = Shape("embeddings.position_embeddings.weight")[0];
        var hidden = type == "distilbert" ? Shape("attention.q_lin.weight")[0] : Shape("attention.self.query.weight")[0];
        var intermediate = type == "distilbert" ? Shape("ffn.lin1.weight")[0] : Shape("intermediate.dense.weight")[0];
        var heads = ReadHeads(graph, (int)hidden) ?? throw new InvalidDataException($"{source}: no attention Reshape with a constant head count was found; give its config.json (--config)");
        var eps = ReadLayerNormEpsilon(graph) ?? 1e-12;
        // Exact GELU exports as Erf; anything else (tanh-approximated GELU, ReLU) is not guessed.
        var activation = graph.Node.Any(n => n.OpType is "Erf" or "Gelu") ? "gelu"
            : graph.Node.Any(n => n.OpType == "Relu") ? "relu"
            : throw new InvalidDataException($"{source}: the feed-forward activation is neither an Erf GELU nor a ReLU; give its config.json (--config)");
        if (type == "distilbert")
        {
            return new JsonObject
            {
                ["architectures"] = new JsonArray("DistilBertModel"), ["vocab_size"] = word[0], ["dim"] = hidden, ["n_layers"] = layers, ["n_heads"] = heads,
                ["hidden_dim"] = intermediate, ["max_position_embeddings"] = positions, ["activation"] = activation, ["dropout"] = 0.1, ["attention_dropout"] = 0.1,
                ["seq_classif_dropout"] = 0.2, ["pad_token_id"] = 0,
            };
        }
        var config = new JsonObject
        {
            ["architectures"] = new JsonArray(type switch { "roberta" => "RobertaModel", "electra" => "ElectraModel", _ => "BertModel" }),
            ["vocab_size"] = word[0], ["hidden_size"] = hidden, ["num_hidden_layers"] = layers, ["num_attention_heads"] = heads,
            ["intermediate_size"] = intermediate, ["hidden_act"] = activation, ["hidden_dropout_prob"] = 0.1, ["attention_probs_dropout_prob"] = 0.1,
            ["max_position_embeddings"] = positions, ["type_vocab_size"] = weights.TryGetValue("embeddings.token_type_embeddings.weight", out var types) ? types.shape[0] : 0,
            ["layer_norm_eps"] = eps, ["pad_token_id"] = type == "roberta" ? 1 : 0, ["initializer_range"] = 0.02,
        };
        if (type == "electra") config["embedding_size"] = word[1];
        return config;
    }

    /// <summary>
    /// The head count: torch.onnx writes the attention's view(batch, length, heads, head_size) as a Reshape whose shape is a Concat
    /// of two dynamic sizes and two constants (or one constant shape); the third entry, with heads · head_size = hidden, is it.
    /// </summary>
    private static int? ReadHeads(GraphProto graph, int hidden)
    {
        var constants = IntegerConstants(graph);
        var producers = Producers(graph);
        foreach (var reshape in graph.Node.Where(n => n.OpType == "Reshape" && n.Input.Count == 2))
        {
            long?[] shape;
            if (constants.TryGetValue(reshape.Input[1], out var direct)) shape = direct.Select(v => (long?)v).ToArray();
            else if (producers.TryGetValue(reshape.Input[1], out var concat) && concat.OpType == "Concat")
                shape = concat.Input.SelectMany(i => constants.TryGetValue(i, out var c) ? c.Select(v => (long?)v) : [null]).ToArray();
            else continue;
            if (shape.Length == 4 && shape[2] is > 0 and var heads && shape[3] is > 0 and var size && heads * size == hidden) return (int)heads;
        }
        return null;
    }

    /// <summary>LayerNorm's epsilon: a LayerNormalization node's attribute, or in the decomposed form the scalar added to the variance before Sqrt.</summary>
    private static double? ReadLayerNormEpsilon(GraphProto graph)
    {
        var layerNorm = graph.Node.FirstOrDefault(n => n.OpType == "LayerNormalization");
        if (layerNorm is not null) return layerNorm.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5;
        var floats = ScalarFloatConstants(graph);
        var producers = Producers(graph);
        foreach (var sqrt in graph.Node.Where(n => n.OpType == "Sqrt"))
        {
            if (producers.TryGetValue(sqrt.Input[0], out var add) && add.OpType == "Add")
                foreach (var input in add.Input)
                    if (floats.TryGetValue(input, out var eps) && eps is > 0 and < 1e-3)
                        return double.Parse(((float)eps).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture); // 9.9999998e-13 → 1e-12
        }
        return null;
    }

    /// <summary>The node that produces each value, by value name.</summary>
    private static Dictionary<string, NodeProto> Producers(GraphProto graph)
    {
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                producers.TryAdd(output, node);
        return producers;
    }

    /// <summary>The graph's constant tensors, by value name: initialisers and the values of Constant nodes.</summary>
    private static IEnumerable<(string Name, TensorProto Tensor)> ConstantTensors(GraphProto graph) =>
        graph.Initializer.Select(t => (t.Name, t)).Concat(graph.Node.Where(n => n.OpType == "Constant")
            .Select(n => (n.Output[0], n.Attribute.FirstOrDefault(a => a.Name == "value")?.T)).Where(c => c.T is not null).Select(c => (c.Item1, c.T!)));

    /// <summary>Integer (int64, int32) constants of the graph, by value name.</summary>
    private static Dictionary<string, long[]> IntegerConstants(GraphProto graph)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (name, t) in ConstantTensors(graph))
        {
            if (t.DataType == (int)TensorProto.Types.DataType.Int64)
                result[name] = t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray() : t.Int64Data.ToArray();
            else if (t.DataType == (int)TensorProto.Types.DataType.Int32)
                result[name] = t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray() : t.Int32Data.Select(v => (long)v).ToArray();
        }
        return result;
    }

    /// <summary>Scalar float32 constants of the graph, by value name.</summary>
    private static Dictionary<string, double> ScalarFloatConstants(GraphProto graph)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, t) in ConstantTensors(graph))
        {
            if (t.DataType != (int)TensorProto.Types.DataType.Float) continue;
            if (t.RawData.Length == 4) result[name] = BitConverter.ToSingle(t.RawData.Span);
            else if (t.FloatData.Count == 1) result[name] = t.FloatData[0];
        }
        return result;
    }

    /// <summary>An initialiser as a CPU tensor (raw data, typed fields, or external data beside the model for graphs over 2 GiB).</summary>
    private static Tensor ToTensor(TensorProto t, OnnxSource source)
    {
        var shape = t.Dims.ToArray();
        var (type, size) = t.DataType switch
        {
            (int)TensorProto.Types.DataType.Float => (ScalarType.Float32, 4),
            (int)TensorProto.Types.DataType.Float16 => (ScalarType.Float16, 2),
            (int)TensorProto.Types.DataType.Bfloat16 => (ScalarType.BFloat16, 2),
            (int)TensorProto.Types.DataType.Double => (ScalarType.Float64, 8),
            _ => throw new InvalidDataException($"{source.Description}: initialiser '{t.Name}' has ONNX data type {t.DataType}, which is not a weight type"),
        };
        var count = shape.Aggregate(1L, (a, b) => a * b);
        byte[] bytes;
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
        {
            var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            var location = entries.GetValueOrDefault("location") ?? throw new InvalidDataException($"{source.Description}: initialiser '{t.Name}' is external but names no location");
            var offset = long.Parse(entries.GetValueOrDefault("offset", "0"), CultureInfo.InvariantCulture);
            var path = Path.GetFullPath(Path.Combine(source.ModelDirectory, location));
            if (!path.StartsWith(source.ModelDirectory, StringComparison.Ordinal)) throw new InvalidDataException($"{source.Description}: initialiser '{t.Name}' points outside the model's folder ({location})");
            bytes = new byte[count * size];
            using var file = File.OpenRead(path);
            file.Seek(offset, SeekOrigin.Begin);
            file.ReadExactly(bytes);
        }
        else if (t.RawData.Length > 0) bytes = t.RawData.ToByteArray();
        else if (type == ScalarType.Float32) bytes = t.FloatData.SelectMany(BitConverter.GetBytes).ToArray();
        else if (type == ScalarType.Float64) bytes = t.DoubleData.SelectMany(BitConverter.GetBytes).ToArray();
        else bytes = t.Int32Data.SelectMany(v => BitConverter.GetBytes((ushort)v)).ToArray(); // float16/bfloat16 bits sit in int32_data
        if (bytes.LongLength != count * size)
            throw new InvalidDataException($"{source.Description}: initialiser '{t.Name}' holds {bytes.LongLength} bytes, its shape [{string.Join(", ", shape)}] needs {count * size}");
        var tensor = empty(shape, type);
        tensor.bytes = bytes;
        return tensor;
    }

    private static void WriteTokenizer(OnnxSource source, string outputFolder, string? tokenizerFolder)
    {
        string[] weightFiles = ["config.json", "model.safetensors", "pytorch_model.bin", "model.onnx"];
        if (tokenizerFolder is not null)
        {
            foreach (var file in Directory.EnumerateFiles(tokenizerFolder).Where(f => !weightFiles.Contains(Path.GetFileName(f))))
                File.Copy(file, Path.Combine(outputFolder, Path.GetFileName(file)), overwrite: true);
            return;
        }
        if (source.Vocabulary is null)
            throw new InvalidDataException($"{source.Description}: no tokenizer: give a folder with the tokenizer files (--tokenizer)");
        var lines = source.Vocabulary.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        File.WriteAllText(Path.Combine(outputFolder, "vocab.txt"), string.Join('\n', lines) + "\n");
        // Uncased vocabularies (bert-base-uncased and its descendants) hold no upper-case pieces outside the [SPECIAL] tokens.
        var lowerCase = !lines.Any(l => !(l.StartsWith('[') && l.EndsWith(']')) && l.Any(char.IsUpper));
        var tokenizerConfig = new JsonObject
        {
            ["tokenizer_class"] = "BertTokenizer", ["do_lower_case"] = lowerCase, ["unk_token"] = "[UNK]", ["sep_token"] = "[SEP]",
            ["pad_token"] = "[PAD]", ["cls_token"] = "[CLS]", ["mask_token"] = "[MASK]", ["model_max_length"] = 512,
        };
        File.WriteAllText(Path.Combine(outputFolder, "tokenizer_config.json"), tokenizerConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The manifest resources embedded in an assembly's file, read with System.Reflection.Metadata (the assembly is never loaded or run).</summary>
    private static Dictionary<string, byte[]> ReadManifestResources(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        if (!pe.HasMetadata) throw new InvalidDataException($"{path}: not a .NET assembly");
        var metadata = pe.GetMetadataReader();
        var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil) continue; // lives in another file
            var block = pe.GetSectionData(directory.RelativeVirtualAddress + checked((int)resource.Offset)).GetReader();
            var length = block.ReadInt32(); // each embedded resource is a 4-byte length, then its bytes
            if (length < 0 || length > block.RemainingBytes) throw new InvalidDataException($"{path}: resource '{metadata.GetString(resource.Name)}' runs past its section");
            result[metadata.GetString(resource.Name)] = block.ReadBytes(length);
        }
        return result;
    }
}
