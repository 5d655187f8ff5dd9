using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Text;
using static TorchSharp.torch;

namespace SweepCluster.Training.Checkpoints;

/// <summary>
/// Reads the state dicts torch.save writes (pytorch_model.bin) without Python and without trusting the pickle:
/// the zip format of torch ≥ 1.6 (<c>prefix/data.pkl</c> plus one raw little-endian entry per storage under
/// <c>prefix/data/</c>) and the legacy stream (magic number, protocol, sys_info, the pickle, the storage keys,
/// then each storage as an int64 element count and its bytes). Only a flat name → tensor dict is accepted;
/// any global outside the tensor-rebuilding allowlist is refused before anything is built. Tensors come back
/// on the CPU, contiguous, each owning its memory.
/// </summary>
public static class PyTorchArchive
{
    private static readonly BigInteger LegacyMagic = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);
    private const long LegacyProtocolVersion = 1001;

    private static readonly Dictionary<string, ScalarType> StorageClasses = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32, ["HalfStorage"] = ScalarType.Float16, ["BFloat16Storage"] = ScalarType.BFloat16,
        ["DoubleStorage"] = ScalarType.Float64, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
        // Untyped storages are plain bytes.
        ["UntypedStorage"] = ScalarType.Byte,
    };

    /// <summary>torch.&lt;dtype&gt; names, which newer writers may put where a storage class used to go.</summary>
    private static readonly Dictionary<string, ScalarType> DTypeNames = new(StringComparer.Ordinal)
    {
        ["float32"] = ScalarType.Float32, ["float"] = ScalarType.Float32, ["float16"] = ScalarType.Float16, ["half"] = ScalarType.Float16,
        ["bfloat16"] = ScalarType.BFloat16, ["float64"] = ScalarType.Float64, ["double"] = ScalarType.Float64,
        ["int64"] = ScalarType.Int64, ["long"] = ScalarType.Int64, ["int32"] = ScalarType.Int32, ["int"] = ScalarType.Int32,
        ["int16"] = ScalarType.Int16, ["short"] = ScalarType.Int16, ["int8"] = ScalarType.Int8, ["uint8"] = ScalarType.Byte,
        ["bool"] = ScalarType.Bool,
    };

    private static readonly PickleGlobal OrderedDictClass = new("collections", "OrderedDict");
    private static readonly PickleGlobal RebuildTensor = new("torch._utils", "_rebuild_tensor_v2");
    private static readonly PickleGlobal RebuildParameter = new("torch._utils", "_rebuild_parameter");
    private static readonly PickleGlobal RebuildParameterWithState = new("torch._utils", "_rebuild_parameter_with_state");

    private sealed record StorageRef(string Key, ScalarType DType, long Numel);

    private sealed record TensorSpec(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    public static Dictionary<string, Tensor> Read(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> signature = stackalloc byte[4];
        var isZip = file.Read(signature) == 4 && signature.SequenceEqual("PK\u0003\u0004"u8);
        file.Position = 0;
        return isZip ? ReadZip(file, path) : ReadLegacy(file, path);
    }

    private static Dictionary<string, Tensor> ReadZip(FileStream file, string path)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a readable zip archive (truncated file?): {e.Message}", e);
        }
        using (archive)
        {
            var pickleEntry = archive.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.Count(c => c == '/') == 1)
                ?? throw new InvalidDataException($"{path}: the archive has no <name>/data.pkl entry, so it is not a torch.save file");
            var prefix = pickleEntry.FullName[..^"data.pkl".Length];
            var byteOrder = archive.GetEntry(prefix + "byteorder");
            if (byteOrder is not null)
            {
                var order = Encoding.ASCII.GetString(ReadEntry(byteOrder, path)).Trim();
                if (order != "little") throw new InvalidDataException($"{path}: stored {order}-endian; only little-endian checkpoints are read");
            }

            var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
            var top = Unpickle(new MemoryStream(ReadEntry(pickleEntry, path)), $"{path} ({pickleEntry.FullName})", storages);
            var specs = TensorsOf(top, path);
            return Materialise(specs, path, storage =>
            {
                var entry = archive.GetEntry($"{prefix}data/{storage.Key}")
                    ?? throw new InvalidDataException($"{path}: storage '{storage.Key}' has no entry {prefix}data/{storage.Key} in the archive");
                return StorageTensor(storage, ReadEntry(entry, path), path);
            });
        }
    }

    private static Dictionary<string, Tensor> ReadLegacy(FileStream file, string path)
    {
        var storages = new Dictionary<string, StorageRef>(StringComparer.Ordinal);
        // The legacy stream opens with the magic number pickled as PROTO 2, LONG1: anything else is not a checkpoint at all.
        Span<byte> opening = stackalloc byte[3];
        if (file.Read(opening) != 3 || !opening.SequenceEqual((ReadOnlySpan<byte>)[0x80, 0x02, 0x8a]))
            throw new InvalidDataException($"{path}: neither a zip archive nor a legacy torch.save stream");
        file.Position = 0;
        if (Unpickle(file, $"{path} (magic number)", storages) is not BigInteger magic || magic != LegacyMagic)
            throw new InvalidDataException($"{path}: neither a zip archive nor a legacy torch.save stream (no magic number)");
        var version = Unpickle(file, $"{path} (protocol version)", storages);
        if (version is not LegacyProtocolVersion)
            throw new InvalidDataException($"{path}: legacy protocol version {Describe(version)} is not {LegacyProtocolVersion}");
        if (Unpickle(file, $"{path} (sys_info)", storages) is OrderedDictionary<object, object?> sysInfo && sysInfo.TryGetValue("little_endian", out var little) && little is false)
            throw new InvalidDataException($"{path}: stored big-endian; only little-endian checkpoints are read");

        var specs = TensorsOf(Unpickle(file, path, storages), path);
        var keys = Unpickle(file, $"{path} (storage keys)", storages) as List<object?>
            ?? throw new InvalidDataException($"{path}: the storage key list after the pickle is missing");

        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var key in keys)
            {
                if (key is not string name || !storages.TryGetValue(name, out var storage))
                    throw new InvalidDataException($"{path}: unknown storage key '{key}' in the storage list (no tensor refers to it)");
                if (loaded.ContainsKey(name)) throw new InvalidDataException($"{path}: storage '{name}' is listed twice");
                var count = BinaryPrimitives.ReadInt64LittleEndian(ReadExactly(file, 8, path, name));
                if (count != storage.Numel)
                    throw new InvalidDataException($"{path}: storage '{name}' holds {count} elements, its tensors were saved with {storage.Numel}");
                loaded.Add(name, StorageTensor(storage, ReadExactly(file, ByteCount(storage, path), path, name), path));
            }
            return Materialise(specs, path, storage => loaded.Remove(storage.Key, out var tensor)
                ? tensor
                : throw new InvalidDataException($"{path}: storage '{storage.Key}' is missing from the storage list"));
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    private static object? Unpickle(Stream stream, string source, Dictionary<string, StorageRef> storages) =>
        new RestrictedUnpickler(stream, source, IsAllowed, (callee, args, offset) => Call(callee, args, source, offset),
            (id, offset) => PersistentLoad(id, storages, source, offset)).Load();

    private static bool IsAllowed(string module, string name) => (module, name) switch
    {
        ("collections", "OrderedDict") => true,
        ("torch._utils", "_rebuild_tensor_v2" or "_rebuild_parameter" or "_rebuild_parameter_with_state") => true,
        ("torch", _) => StorageClasses.ContainsKey(name) || DTypeNames.ContainsKey(name),
        ("torch.storage", "UntypedStorage") => true,
        _ => false,
    };

    private static object? Call(PickleGlobal callee, object?[] args, string source, long offset)
    {
        if (callee == OrderedDictClass && args.Length == 0) return new OrderedDictionary<object, object?>();
        if (callee == RebuildTensor && args.Length is 6 or 7)
        {
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]); the rest only matters for autograd.
            var storage = args[0] as StorageRef ?? throw Bad("the storage of a tensor is not a persistent storage");
            var offsetInStorage = args[1] as long? ?? throw Bad("storage_offset is not an integer");
            var size = Longs(args[2]) ?? throw Bad("size is not a tuple of integers");
            var stride = Longs(args[3]) ?? throw Bad("stride is not a tuple of integers");
            if (size.Length != stride.Length) throw Bad($"size has {size.Length} dimensions but stride has {stride.Length}");
            return new TensorSpec(storage, offsetInStorage, size, stride);
        }
        if ((callee == RebuildParameter && args.Length == 3) || (callee == RebuildParameterWithState && args.Length == 4))
            return args[0] as TensorSpec ?? throw Bad("a parameter wraps something that is not a tensor");
        throw Bad($"{callee} cannot be called with {args.Length} arguments");

        InvalidDataException Bad(string message) => new($"{source}: {message} (calling {callee} at byte {offset} of the pickle)");
    }

    private static StorageRef PersistentLoad(object? id, Dictionary<string, StorageRef> storages, string source, long offset)
    {
        // ('storage', storage type, key, location, numel) — legacy files add a view_metadata slot, always None since torch 1.0.
        if (id is not object?[] { Length: 5 or 6 } fields || fields[0] is not "storage" || fields[2] is not string key || fields[3] is not string
            || fields[4] is not long numel || numel < 0 || (fields.Length == 6 && fields[5] is not null))
            throw new InvalidDataException($"{source}: persistent id {Describe(id)} at byte {offset} is not ('storage', type, key, location, numel)");
        var dtype = fields[1] is PickleGlobal type && (StorageClasses.TryGetValue(type.Name, out var t) || DTypeNames.TryGetValue(type.Name, out t))
            ? t
            : throw new InvalidDataException($"{source}: storage '{key}' has type {Describe(fields[1])}, not a torch storage or dtype");
        var storage = new StorageRef(key, dtype, numel);
        if (storages.TryGetValue(key, out var earlier) && earlier != storage)
            throw new InvalidDataException($"{source}: storage '{key}' is described twice differently ({earlier.DType}×{earlier.Numel}, {dtype}×{numel})");
        storages[key] = storage;
        return storage;
    }

    private static Dictionary<string, TensorSpec> TensorsOf(object? top, string path)
    {
        if (top is not OrderedDictionary<object, object?> dict)
            throw new InvalidDataException($"{path}: holds a {Describe(top)}, not a state dict of name → tensor");
        var specs = new Dictionary<string, TensorSpec>(StringComparer.Ordinal);
        foreach (var (key, value) in dict)
        {
            if (key is not string name) throw new InvalidDataException($"{path}: state dict key {Describe(key)} is not a string");
            // No guessing at nested layouts ({"state_dict": …}, {"model": …}): the caller saves model.state_dict() itself.
            specs[name] = value as TensorSpec
                ?? throw new InvalidDataException($"{path}: '{name}' holds a {Describe(value)}, not a tensor; only a flat state dict of name → tensor is accepted");
        }
        return specs;
    }

    private static Dictionary<string, Tensor> Materialise(Dictionary<string, TensorSpec> specs, string path, Func<StorageRef, Tensor> loadStorage)
    {
        // Each storage is let go once its last tensor is copied out, so peak memory stays near one copy of the weights.
        var usesLeft = specs.Values.GroupBy(s => s.Storage.Key).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, spec) in specs.OrderBy(kv => kv.Value.Storage.Key, StringComparer.Ordinal))
            {
                CheckFits(name, spec, path);
                var key = spec.Storage.Key;
                if (!loaded.TryGetValue(key, out var storage)) loaded[key] = storage = loadStorage(spec.Storage);
                using (var view = storage.as_strided(spec.Size, spec.Stride, spec.Offset))
                {
                    // A fresh tensor per key: tied weights sharing a storage must not alias each other after loading.
                    var owned = empty(spec.Size, spec.Storage.DType);
                    result[name] = owned;
                    owned.copy_(view);
                }
                if (--usesLeft[key] == 0 && loaded.Remove(key)) storage.Dispose();
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        finally
        {
            foreach (var tensor in loaded.Values) tensor.Dispose();
        }
    }

    /// <summary>Refuses views that reach outside their storage, before libtorch is handed them.</summary>
    private static void CheckFits(string name, TensorSpec spec, string path)
    {
        if (spec.Offset < 0 || spec.Size.Any(d => d < 0) || spec.Stride.Any(s => s < 0))
            throw new InvalidDataException($"{path}: tensor '{name}' has a negative offset, size or stride");
        if (spec.Size.Contains(0)) return;
        try
        {
            var last = spec.Offset;
            for (var i = 0; i < spec.Size.Length; i++) last = checked(last + (spec.Size[i] - 1) * spec.Stride[i]);
            if (last < spec.Storage.Numel) return;
        }
        catch (OverflowException)
        {
        }
        throw new InvalidDataException($"{path}: tensor '{name}' (offset {spec.Offset}, size [{string.Join(", ", spec.Size)}], stride [{string.Join(", ", spec.Stride)}]) reaches past the {spec.Storage.Numel} elements of storage '{spec.Storage.Key}'");
    }

    private static Tensor StorageTensor(StorageRef storage, byte[] bytes, string path)
    {
        if (bytes.Length != ByteCount(storage, path))
            throw new InvalidDataException($"{path}: storage '{storage.Key}' has {bytes.Length} bytes, {storage.Numel} {storage.DType} elements need {ByteCount(storage, path)}");
        var tensor = empty([storage.Numel], storage.DType);
        tensor.bytes = bytes;
        return tensor;
    }

    private static int ByteCount(StorageRef storage, string path)
    {
        var size = storage.DType switch
        {
            ScalarType.Float64 or ScalarType.Int64 => 8,
            ScalarType.Float32 or ScalarType.Int32 => 4,
            ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
            _ => 1,
        };
        var bytes = (BigInteger)storage.Numel * size;
        return bytes <= Array.MaxLength ? (int)bytes
            : throw new InvalidDataException($"{path}: storage '{storage.Key}' is {bytes} bytes, more than one read can hold");
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > Array.MaxLength) throw new InvalidDataException($"{path}: entry {entry.FullName} is too large to read");
        var bytes = new byte[entry.Length];
        try
        {
            using var stream = entry.Open();
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path}: entry {entry.FullName} cannot be read (truncated file?): {e.Message}", e);
        }
        return bytes;
    }

    private static byte[] ReadExactly(Stream stream, int count, string path, string storageKey)
    {
        var bytes = new byte[count];
        if (count > stream.Length - stream.Position || stream.ReadAtLeast(bytes, count, throwOnEndOfStream: false) < count)
            throw new InvalidDataException($"{path}: the file ends inside storage '{storageKey}' (truncated file?)");
        return bytes;
    }

    private static long[]? Longs(object? value) =>
        value is object?[] items && items.All(i => i is long) ? items.Select(i => (long)i!).ToArray() : null;

    /// <summary>Names a pickled value's kind for error messages, without dumping its contents.</summary>
    internal static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"string '{(s.Length > 40 ? s[..40] + "…" : s)}'",
        long or BigInteger => $"integer {value}",
        double => "float",
        bool => "bool",
        object?[] tuple => $"tuple of {tuple.Length}",
        List<object?> list => $"list of {list.Count}",
        OrderedDictionary<object, object?> dict => $"dict of {dict.Count} (keys {string.Join(", ", dict.Keys.Take(3).Select(k => $"'{k}'"))}{(dict.Count > 3 ? ", …" : "")})",
        PickleGlobal global => $"global {global}",
        StorageRef storage => $"bare storage '{storage.Key}'",
        TensorSpec => "tensor",
        _ => value.GetType().Name,
    };
}
