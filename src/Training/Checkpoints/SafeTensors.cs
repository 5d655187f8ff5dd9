using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SweepCluster.Training.Checkpoints;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor
/// name to its dtype, shape and byte range (plus an optional "__metadata__" object), then the raw
/// little-endian data. Tensors are returned on the CPU.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2), ["BF16"] = (ScalarType.BFloat16, 2),
        ["F64"] = (ScalarType.Float64, 8), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static Dictionary<string, Tensor> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: too short to be a safetensors file");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file (truncated?)");
        JsonObject header;
        try
        {
            header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!.AsObject();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the header is not valid JSON ({e.Message})", e);
        }
        var dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            var entry = node!.AsObject();
            var dtype = entry["dtype"]!.GetValue<string>();
            if (!DTypes.TryGetValue(dtype, out var type)) throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype}");
            var shape = entry["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var range = entry["data_offsets"]!.AsArray().Select(o => o!.GetValue<long>()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (range.Length != 2 || range[1] - range[0] != count * type.Size || dataStart + range[1] > bytes.Length)
                throw new InvalidDataException($"{path}: tensor '{name}' ({dtype} {string.Join('x', shape)}) has a byte range [{string.Join(", ", range)}] that does not fit its shape or the file");
            var tensor = empty(shape, type.Type);
            tensor.bytes = bytes.AsSpan(dataStart + (int)range[0], (int)(range[1] - range[0]));
            tensors[name] = tensor;
        }
        return tensors;
    }

    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is not null) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        long offset = 0;
        var blobs = new List<byte[]>();
        foreach (var (name, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var code = DTypes.FirstOrDefault(d => d.Value.Type == tensor.dtype).Key
                ?? throw new ArgumentException($"tensor '{name}': dtype {tensor.dtype} cannot be stored as safetensors");
            using var contiguous = tensor.cpu().contiguous();
            var data = contiguous.bytes.ToArray();
            header[name] = new JsonObject
            {
                ["dtype"] = code,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + data.Length)),
            };
            offset += data.Length;
            blobs.Add(data);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding the header with spaces
        var temporary = path + ".writing";
        using (var file = File.Create(temporary))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var blob in blobs) file.Write(blob);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
