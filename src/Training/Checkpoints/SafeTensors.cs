using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace SweepCluster.Training.Checkpoints;

/// <summary>One tensor's header entry: its dtype, shape, and byte range [Begin, End) relative to the data section.</summary>
public sealed record SafeTensorEntry(string Name, string DType, ScalarType Type, long[] Shape, long Begin, long End)
{
    public long Length => End - Begin;
}

/// <summary>
/// The safetensors format (https://huggingface.co/docs/safetensors, "Format"): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON mapping each tensor name to its dtype, shape and byte range
/// ("data_offsets", relative to the end of the header) plus an optional "__metadata__" object of strings,
/// then the raw little-endian data. Tensors are returned on the CPU.
/// </summary>
/// <remarks>
/// Files of any size: reading memory-maps the file and copies each tensor's bytes straight into its
/// tensor through views of at most <see cref="DefaultChunkBytes"/>, unmapped as soon as they are copied,
/// so a checkpoint is never held twice and offsets past 2 GiB work. Writing streams one tensor at a time.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The most bytes mapped (when reading) or handed to the file (when writing) at once: 64 MiB.</summary>
    internal const long DefaultChunkBytes = 64L << 20;

    /// <summary>The format's own limit on the header (the reference implementation refuses more): 100,000,000 bytes.</summary>
    internal const ulong MaxHeaderBytes = 100_000_000;

    internal static readonly Dictionary<string, (ScalarType Type, int Size)> DTypes = new()
    {
        ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2), ["BF16"] = (ScalarType.BFloat16, 2),
        ["F64"] = (ScalarType.Float64, 8), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1), ["BOOL"] = (ScalarType.Bool, 1),
    };

    /// <summary>
    /// Every tensor of the file at <paramref name="path"/>, keyed by name, on the CPU. Peak memory is the
    /// tensors themselves plus one mapped chunk (64 MiB).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated or its header is malformed: bad JSON, an
    /// unsupported dtype, a byte range that does not fit the shape or the file, or ranges that overlap. The
    /// message names the file and the tensor.</exception>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var file = Open(path);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var name in file.Entries.Keys) tensors[name] = file.Read(name);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return tensors;
    }

    /// <summary>
    /// Opens the file and validates its whole header without reading any tensor, so a caller can check
    /// names and shapes first and then read one tensor at a time (<see cref="SafeTensorsFile.Read"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">As <see cref="Read"/>.</exception>
    public static SafeTensorsFile Open(string path) => Open(path, DefaultChunkBytes);

    internal static SafeTensorsFile Open(string path, long chunkBytes) => new(path, chunkBytes);

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, any layout; sorted by name, 8-byte aligned data as the
    /// reference writer does) and <paramref name="metadata"/> to <paramref name="path"/>, via a ".writing"
    /// file moved into place so a reader never sees half a file. Streams one tensor at a time: peak memory
    /// is one tensor's CPU copy when it is not already a contiguous CPU tensor, otherwise a file buffer.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor's dtype has no safetensors code (complex, for instance).</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        Write(path, tensors, metadata, DefaultChunkBytes);

    internal static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata, long chunkBytes)
    {
        var header = new JsonObject();
        if (metadata is not null) header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))));
        var ordered = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        long offset = 0;
        foreach (var (name, tensor) in ordered)
        {
            var (code, size) = DTypes.Where(d => d.Value.Type == tensor.dtype).Select(d => (d.Key, d.Value.Size)).FirstOrDefault();
            if (code is null) throw new ArgumentException($"tensor '{name}': dtype {tensor.dtype} cannot be stored as safetensors", nameof(tensors));
            var length = checked(tensor.numel() * size);
            header[name] = new JsonObject
            {
                ["dtype"] = code,
                ["shape"] = new JsonArray(tensor.shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(JsonValue.Create(offset), JsonValue.Create(offset + length)),
            };
            offset += length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8; // keep the data 8-byte aligned, padding the header with spaces
        var temporary = path + ".writing";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            file.Write(length);
            file.Write(json);
            for (var i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
            foreach (var (_, tensor) in ordered) WriteData(file, tensor, chunkBytes);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>One tensor's bytes in chunks of flat elements, so no single span passes 2 GiB.</summary>
    private static void WriteData(Stream file, Tensor tensor, long chunkBytes)
    {
        var count = tensor.numel();
        if (count == 0) return;
        using var scope = NewDisposeScope();
        var flat = tensor.detach().cpu().contiguous().view(-1);
        var perChunk = Math.Max(1, chunkBytes / flat.element_size());
        for (long first = 0; first < count; first += perChunk)
        {
            using var chunk = flat.narrow(0, first, Math.Min(perChunk, count - first));
            file.Write(chunk.bytes);
        }
    }
}

/// <summary>
/// An open safetensors file: its validated header (<see cref="Entries"/>) and a memory mapping from which
/// <see cref="Read"/> copies one tensor at a time. Dispose to unmap and close the file.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly long _dataStart;
    private readonly long _chunkBytes;

    /// <summary>The file's path, as given.</summary>
    public string Path { get; }

    /// <summary>Every tensor's entry, keyed by name, in header order ("__metadata__" excluded).</summary>
    public IReadOnlyDictionary<string, SafeTensorEntry> Entries { get; }

    internal SafeTensorsFile(string path, long chunkBytes)
    {
        Path = path;
        _chunkBytes = chunkBytes;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var fileLength = stream.Length;
            if (fileLength < 8) throw new InvalidDataException($"{path}: too short to be a safetensors file");
            Span<byte> prefix = stackalloc byte[8];
            RandomAccess.Read(stream.SafeFileHandle, prefix, 0);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > (ulong)(fileLength - 8)) throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file (truncated?)");
            if (headerLength > SafeTensors.MaxHeaderBytes) throw new InvalidDataException($"{path}: header length {headerLength} is over the format's limit of {SafeTensors.MaxHeaderBytes} bytes");
            var json = new byte[(int)headerLength];
            if (RandomAccess.Read(stream.SafeFileHandle, json, 8) != json.Length) throw new InvalidDataException($"{path}: the header could not be read whole");
            _dataStart = 8 + (long)headerLength;
            Entries = ParseHeader(path, json, fileLength - _dataStart);
            _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The named tensor, a new CPU tensor of the entry's dtype and shape, filled chunk by chunk from the
    /// mapping (each view unmapped once copied, so the file's pages do not stay in this process's memory).
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file has no tensor of that name.</exception>
    public Tensor Read(string name)
    {
        if (!Entries.TryGetValue(name, out var entry)) throw new KeyNotFoundException($"{Path}: no tensor '{name}'");
        var tensor = empty(entry.Shape, entry.Type);
        var count = tensor.numel();
        if (count == 0) return tensor;
        try
        {
            using var flat = tensor.view(-1);
            var size = flat.element_size();
            var perChunk = Math.Max(1, _chunkBytes / size);
            for (long first = 0; first < count; first += perChunk)
            {
                var n = Math.Min(perChunk, count - first);
                using var chunk = flat.narrow(0, first, n);
                using var view = _map.CreateViewAccessor(_dataStart + entry.Begin + first * size, n * size, MemoryMappedFileAccess.Read);
                Copy(view, chunk, (int)(n * size));
            }
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    private static unsafe void Copy(MemoryMappedViewAccessor view, Tensor destination, int bytes)
    {
        byte* pointer = null;
        var handle = view.SafeMemoryMappedViewHandle;
        handle.AcquirePointer(ref pointer);
        try
        {
            // The view starts at the page boundary below the requested offset; PointerOffset is the distance.
            destination.bytes = new Span<byte>(pointer + view.PointerOffset, bytes);
        }
        finally
        {
            handle.ReleasePointer();
        }
    }

    public void Dispose() => _map.Dispose();

    private static Dictionary<string, SafeTensorEntry> ParseHeader(string path, byte[] json, long dataLength)
    {
        JsonObject header;
        try
        {
            header = JsonNode.Parse(json)?.AsObject() ?? throw new InvalidDataException($"{path}: the header is JSON null, not an object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: the header is not a valid JSON object ({e.Message})", e);
        }
        var entries = new Dictionary<string, SafeTensorEntry>(StringComparer.Ordinal);
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            var entry = ParseEntry(path, name, node);
            var describe = $"{path}: tensor '{name}' ({entry.DType} {string.Join('x', entry.Shape)})";
            long expected;
            try
            {
                expected = checked(entry.Shape.Aggregate(1L, (a, b) => a * b) * SafeTensors.DTypes[entry.DType].Size);
            }
            catch (OverflowException)
            {
                throw new InvalidDataException($"{describe} has more bytes than a file can hold");
            }
            if (entry.Begin < 0 || entry.End < entry.Begin || entry.Length != expected || entry.End > dataLength)
                throw new InvalidDataException($"{describe} has a byte range [{entry.Begin}, {entry.End}] that does not fit its shape ({expected} bytes) or the file ({dataLength} bytes of data)");
            entries[name] = entry;
        }
        // Two tensors sharing bytes would alias silently; the reference reader refuses that too.
        SafeTensorEntry? previous = null;
        foreach (var entry in entries.Values.Where(e => e.Length > 0).OrderBy(e => e.Begin))
        {
            if (previous is not null && entry.Begin < previous.End)
                throw new InvalidDataException($"{path}: tensors '{previous.Name}' [{previous.Begin}, {previous.End}] and '{entry.Name}' [{entry.Begin}, {entry.End}] overlap");
            previous = entry;
        }
        return entries;
    }

    private static SafeTensorEntry ParseEntry(string path, string name, JsonNode? node)
    {
        try
        {
            var entry = node as JsonObject ?? throw new InvalidDataException($"{path}: tensor '{name}' has no entry object");
            var dtype = entry["dtype"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: tensor '{name}' has no dtype");
            if (!SafeTensors.DTypes.TryGetValue(dtype, out var type)) throw new InvalidDataException($"{path}: tensor '{name}' has unsupported dtype {dtype}");
            var shape = (entry["shape"] as JsonArray ?? throw new InvalidDataException($"{path}: tensor '{name}' has no shape")).Select(d => d!.GetValue<long>()).ToArray();
            if (shape.Any(d => d < 0)) throw new InvalidDataException($"{path}: tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}]");
            var range = (entry["data_offsets"] as JsonArray ?? throw new InvalidDataException($"{path}: tensor '{name}' has no data_offsets")).Select(o => o!.GetValue<long>()).ToArray();
            if (range.Length != 2) throw new InvalidDataException($"{path}: tensor '{name}' has data_offsets [{string.Join(", ", range)}], not [begin, end]");
            return new SafeTensorEntry(name, dtype, type.Type, shape, range[0], range[1]);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{path}: tensor '{name}' has a malformed entry ({e.Message})", e);
        }
    }
}
