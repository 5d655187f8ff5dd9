using System.Diagnostics;
using System.IO.Compression;
using SweepCluster.Training.Checkpoints;
using SweepCluster.Training.Models;
using SweepCluster.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests.Checkpoints;

public sealed class PyTorchArchiveTests : IDisposable
{
    static PyTorchArchiveTests() => TorchRuntime.EnsureLoadable();

    private readonly string _dir = Directory.CreateTempSubdirectory("sweep-pickle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> FixtureFiles() => new(
        from family in new[] { "bert", "distilbert", "roberta", "electra", "deberta-v3", "deberta-v2" }
        from file in new[] { "pytorch_model.bin", "pytorch_model.legacy.bin" }
        select (family, file));

    private static string Fixture(string family)
    {
        var relative = Path.Combine("tests/Training.Tests/Fixtures/hf", family);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
        throw new DirectoryNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>
    /// Files from an independent writer: Python's own pickle and zipfile, with stand-in torch modules so the
    /// pickles name the same globals torch.save writes (Python here has no torch). Covers every dtype, views with
    /// offsets and strides, shared storages, a parameter, a scalar, an empty tensor and a state_dict-style
    /// OrderedDict carrying _metadata; plus the broken and hostile files the error tests need.
    /// </summary>
    private void WritePythonFiles()
    {
        const string script = """
            import collections, io, os, pickle, struct, sys, types, zipfile
            out = sys.argv[1]
            torch = types.ModuleType('torch'); utils = types.ModuleType('torch._utils')
            sys.modules['torch'] = torch; sys.modules['torch._utils'] = utils
            def _rebuild_tensor_v2(*args): pass
            def _rebuild_parameter(*args): pass
            for f in (_rebuild_tensor_v2, _rebuild_parameter):
                f.__module__ = 'torch._utils'; setattr(utils, f.__name__, f)
            for name in ['HalfStorage', 'BFloat16Storage', 'FloatStorage', 'DoubleStorage', 'LongStorage', 'IntStorage', 'CharStorage', 'ByteStorage', 'BoolStorage']:
                setattr(torch, name, type(name, (), {'__module__': 'torch'}))

            class Storage:
                def __init__(self, kind, fmt, values, location='cpu', data=None):
                    self.kind = getattr(torch, kind); self.numel = len(values); self.location = location
                    self.data = data if data is not None else struct.pack('<%d%s' % (len(values), fmt), *values)

            class Tensor:
                def __init__(self, storage, offset, size, stride, parameter=False):
                    self.args = (storage, offset, size, stride); self.parameter = parameter
                def __reduce_ex__(self, protocol):
                    if self.parameter:
                        return (_rebuild_parameter, (Tensor(*self.args), True, collections.OrderedDict()))
                    return (_rebuild_tensor_v2, self.args + (False, collections.OrderedDict()))

            class Evil:
                def __reduce__(self): return (os.system, ('echo pwned',))

            def bf16(values):
                return b''.join(struct.pack('<f', v)[2:] for v in values)

            shared = Storage('FloatStorage', 'f', [0, 1, 2, 3, 4, 5], location='cuda:0')
            state = collections.OrderedDict([
                ('half', Tensor(Storage('HalfStorage', 'e', [0.5, 1, 2, 3, 4, 5, 6]), 1, (2, 3), (1, 2))),
                ('bf16', Tensor(Storage('BFloat16Storage', None, [0] * 4, data=bf16([1.5, -2.0, 0.15625, 3.0])), 0, (2, 2), (2, 1), parameter=True)),
                ('f32_whole', Tensor(shared, 0, (6,), (1,))),
                ('f32_part', Tensor(shared, 2, (2,), (1,))),
                ('f64', Tensor(Storage('DoubleStorage', 'd', [1e-300, -2.5]), 0, (2,), (1,))),
                ('i64', Tensor(Storage('LongStorage', 'q', [-7, 0, 9007199254740993]), 0, (3,), (1,))),
                ('i32', Tensor(Storage('IntStorage', 'i', [-2**31, 2**31 - 1]), 0, (2,), (1,))),
                ('i8', Tensor(Storage('CharStorage', 'b', [-128, 127, 0]), 0, (3,), (1,))),
                ('u8', Tensor(Storage('ByteStorage', 'B', [0, 255, 7]), 0, (3,), (1,))),
                ('bool', Tensor(Storage('BoolStorage', '?', [True, False, True]), 0, (3,), (1,))),
                ('scalar', Tensor(Storage('FloatStorage', 'f', [42.0]), 0, (), ())),
                ('empty', Tensor(Storage('FloatStorage', 'f', []), 0, (0, 4), (4, 1))),
            ])
            state._metadata = collections.OrderedDict([('', {'version': 1}), ('encoder', {'version': 2})])

            def pickled(obj, protocol, legacy):
                storages = {}
                class Pickler(pickle.Pickler):
                    def persistent_id(self, o):
                        if not isinstance(o, Storage): return None
                        key = storages.setdefault(id(o), (str(1000 + len(storages)) if legacy else str(len(storages)), o))[0]
                        pid = ('storage', o.kind, key, o.location, o.numel)
                        return pid + (None,) if legacy else pid
                buffer = io.BytesIO(); Pickler(buffer, protocol=protocol).dump(obj)
                return buffer.getvalue(), list(storages.values())

            def write_zip(name, obj, protocol=2, drop=None, raw=None):
                body, storages = pickled(obj, protocol, False) if raw is None else (raw, [])
                with zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_STORED) as z:
                    z.writestr('archive/data.pkl', body)
                    z.writestr('archive/byteorder', 'little')
                    for key, s in storages:
                        if key != drop: z.writestr('archive/data/' + key, s.data)
                    z.writestr('archive/version', '3\n')

            def write_legacy(name, obj, raw=None):
                body, storages = pickled(obj, 2, True) if raw is None else (raw, [])
                with open(os.path.join(out, name), 'wb') as f:
                    sys_info = {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}
                    for header in (0x1950a86a20f9469cfc6c, 1001, sys_info):
                        pickle.dump(header, f, protocol=2)
                    f.write(body)
                    storages.reverse()  # the key list decides the data order, not the pickle
                    pickle.dump([key for key, _ in storages], f, protocol=2)
                    for key, s in storages:
                        f.write(struct.pack('<q', s.numel)); f.write(s.data)

            write_zip('typed.bin', state)
            write_zip('typed.p4.bin', state, protocol=4)
            write_legacy('typed.legacy.bin', state)
            write_zip('missing_entry.bin', state, drop='1')
            write_zip('nested.bin', {'state_dict': {'w': Tensor(Storage('FloatStorage', 'f', [1.0]), 0, (1,), (1,))}, 'epoch': 3})
            write_zip('evil.bin', None, raw=pickle.dumps(Evil(), protocol=2))
            write_legacy('evil.legacy.bin', None, raw=pickle.dumps(Evil(), protocol=2))
            """;
        var start = new ProcessStartInfo("python3", ["-c", script, _dir]) { RedirectStandardError = true };
        using var process = Process.Start(start)!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, process.StandardError.ReadToEnd());
    }

    /// <summary>A zip laid out like torch.save's, around a hand-written pickle.</summary>
    private string ZipWithPickle(string name, byte[] pickle)
    {
        var path = Path.Combine(_dir, name);
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var stream = archive.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open()) stream.Write(pickle);
        using (var stream = archive.CreateEntry("archive/byteorder", CompressionLevel.NoCompression).Open()) stream.Write("little"u8);
        return path;
    }

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Hugging_face_checkpoints_read_exactly_like_their_safetensors(string family, string file)
    {
        var folder = Fixture(family);
        var expected = SafeTensors.Read(Path.Combine(folder, "model.safetensors"));
        var actual = PyTorchArchive.Read(Path.Combine(folder, file));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in expected)
        {
            Assert.Equal(tensor.dtype, actual[key].dtype);
            Assert.Equal(tensor.shape, actual[key].shape);
            Assert.True(tensor.allclose(actual[key], rtol: 0, atol: 0), key);
        }
    }

    [Theory]
    [InlineData("typed.bin")]
    [InlineData("typed.p4.bin")]
    [InlineData("typed.legacy.bin")]
    public void Every_dtype_offset_and_stride_from_an_independent_writer_reads_exactly(string file)
    {
        WritePythonFiles();
        var tensors = PyTorchArchive.Read(Path.Combine(_dir, file));

        Assert.Equal(ScalarType.Float16, tensors["half"].dtype);
        Assert.Equal(new long[] { 2, 3 }, tensors["half"].shape);
        Assert.Equal([1f, 3f, 5f, 2f, 4f, 6f], tensors["half"].to(float32).data<float>().ToArray());
        Assert.Equal(ScalarType.BFloat16, tensors["bf16"].dtype);
        Assert.Equal([1.5f, -2f, 0.15625f, 3f], tensors["bf16"].to(float32).data<float>().ToArray());
        Assert.Equal([0f, 1f, 2f, 3f, 4f, 5f], tensors["f32_whole"].data<float>().ToArray());
        Assert.Equal([2f, 3f], tensors["f32_part"].data<float>().ToArray());
        Assert.Equal([1e-300, -2.5], tensors["f64"].data<double>().ToArray());
        Assert.Equal([-7L, 0L, 9007199254740993L], tensors["i64"].data<long>().ToArray());
        Assert.Equal([int.MinValue, int.MaxValue], tensors["i32"].data<int>().ToArray());
        Assert.Equal([(sbyte)-128, (sbyte)127, (sbyte)0], tensors["i8"].data<sbyte>().ToArray());
        Assert.Equal([(byte)0, (byte)255, (byte)7], tensors["u8"].data<byte>().ToArray());
        Assert.Equal([true, false, true], tensors["bool"].data<bool>().ToArray());
        Assert.Empty(tensors["scalar"].shape);
        Assert.Equal(42f, tensors["scalar"].item<float>());
        Assert.Equal(new long[] { 0, 4 }, tensors["empty"].shape);
        Assert.Equal(12, tensors.Count);
        Assert.All(tensors.Values, t => Assert.True(t.is_contiguous() && t.device_type == DeviceType.CPU));

        // Tensors that shared a storage in the file no longer alias each other.
        tensors["f32_whole"].fill_(-1);
        Assert.Equal([2f, 3f], tensors["f32_part"].data<float>().ToArray());
    }

    [Theory]
    [InlineData("evil.bin")]
    [InlineData("evil.legacy.bin")]
    public void A_pickle_that_calls_os_system_is_refused(string file)
    {
        WritePythonFiles();
        var path = Path.Combine(_dir, file);
        var e = Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'posix.system'", e.Message); // os.system pickles under its defining module
        Assert.Contains("only tensors are accepted", e.Message);
    }

    [Fact]
    public void Hand_written_hostile_globals_are_refused_by_name()
    {
        // PROTO 2; GLOBAL 'os\nsystem'; SHORT_BINUNICODE 'echo'; TUPLE1; REDUCE; STOP
        byte[] osSystem = [0x80, 0x02, .."cos\nsystem\n"u8, 0x8c, 0x04, .."echo"u8, 0x85, (byte)'R', (byte)'.'];
        var e = Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(ZipWithPickle("os.bin", osSystem)));
        Assert.Contains("os.bin", e.Message);
        Assert.Contains("'os.system'", e.Message);
        Assert.Contains("only tensors are accepted", e.Message);

        // PROTO 4; SHORT_BINUNICODE 'builtins'; SHORT_BINUNICODE 'eval'; STACK_GLOBAL; …
        byte[] eval = [0x80, 0x04, 0x8c, 0x08, .."builtins"u8, 0x8c, 0x04, .."eval"u8, 0x93, 0x8c, 0x01, (byte)'1', 0x85, (byte)'R', (byte)'.'];
        Assert.Contains("'builtins.eval'", Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(ZipWithPickle("eval.bin", eval))).Message);

        // An allowed name still cannot become an arbitrary call: a storage class is not callable.
        byte[] storageCall = [0x80, 0x02, .."ctorch\nFloatStorage\n"u8, (byte)')', (byte)'R', (byte)'.'];
        Assert.Contains("torch.FloatStorage cannot be called", Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(ZipWithPickle("call.bin", storageCall))).Message);
    }

    [Fact]
    public void An_unsupported_opcode_is_named_with_its_offset()
    {
        // PROTO 2; STRING (text protocol 0, never written by torch.save)
        byte[] pickle = [0x80, 0x02, (byte)'S', .."'a'\n"u8, (byte)'.'];
        var e = Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(ZipWithPickle("opcode.bin", pickle)));
        Assert.Contains("opcode.bin", e.Message);
        Assert.Contains("opcode 0x53 ('S') at byte 2", e.Message);
    }

    [Fact]
    public void Truncated_archives_are_named()
    {
        var folder = Fixture("bert");
        foreach (var file in new[] { "pytorch_model.bin", "pytorch_model.legacy.bin" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(folder, file));
            var path = Path.Combine(_dir, file);
            foreach (var length in new[] { bytes.Length - 100, bytes.Length / 2, 200 })
            {
                File.WriteAllBytes(path, bytes[..length]);
                var e = Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(path));
                Assert.Contains(path, e.Message);
                Assert.Contains("truncated", e.Message);
            }
        }
    }

    [Fact]
    public void Missing_storages_missing_pickles_and_nested_dicts_are_named()
    {
        WritePythonFiles();
        var missing = Path.Combine(_dir, "missing_entry.bin");
        Assert.Contains($"{missing}: storage '1' has no entry archive/data/1", Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(missing)).Message);

        var nested = Path.Combine(_dir, "nested.bin");
        var e = Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(nested));
        Assert.Contains($"{nested}: 'state_dict' holds a dict of 1", e.Message);
        Assert.Contains("not a tensor", e.Message);

        var noPickle = Path.Combine(_dir, "no_pickle.bin");
        using (var archive = ZipFile.Open(noPickle, ZipArchiveMode.Create)) archive.CreateEntry("archive/version");
        Assert.Contains($"{noPickle}: the archive has no <name>/data.pkl entry", Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(noPickle)).Message);

        var text = Path.Combine(_dir, "text.bin");
        File.WriteAllText(text, "not a checkpoint");
        Assert.Contains($"{text}: neither a zip archive nor a legacy torch.save stream", Assert.Throws<InvalidDataException>(() => PyTorchArchive.Read(text)).Message);
    }

    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("pytorch_model.legacy.bin")]
    public void The_loader_falls_back_to_pytorch_model_bin(string file)
    {
        var folder = Fixture("bert");
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(_dir, "config.json"));
        File.Copy(Path.Combine(folder, file), Path.Combine(_dir, "pytorch_model.bin"));
        var expected = SafeTensors.Read(Path.Combine(folder, "model.safetensors"));

        using var model = new BertForSequenceClassification(BackboneConfig.Load(_dir), (int)expected["classifier.weight"].shape[0]);
        var report = CheckpointLoader.Load(model, _dir);
        Assert.Equal(Path.Combine(_dir, "pytorch_model.bin"), report.File);
        Assert.Equal(expected.Count, report.Loaded);
        Assert.Empty(report.NewlyInitialised);
        var state = model.state_dict();
        foreach (var (key, tensor) in expected) Assert.True(state[key].allclose(tensor, rtol: 0, atol: 0), key);
    }

    [Fact]
    public void The_loader_prefers_safetensors_when_both_are_present()
    {
        var folder = Fixture("bert");
        foreach (var file in new[] { "config.json", "model.safetensors", "pytorch_model.bin" }) File.Copy(Path.Combine(folder, file), Path.Combine(_dir, file));
        using var model = new BertForSequenceClassification(BackboneConfig.Load(_dir), 2);
        Assert.Equal(Path.Combine(_dir, "model.safetensors"), CheckpointLoader.Load(model, _dir).File);
    }
}
