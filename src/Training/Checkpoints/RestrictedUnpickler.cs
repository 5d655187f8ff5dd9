using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace SweepCluster.Training.Checkpoints;

/// <summary>A global the unpickler has allowed by name; it is only ever a marker, never resolved to code.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>
/// A pickle interpreter for the opcodes torch.save emits, and nothing more. Python objects become plain
/// values: None → null, int → long (or BigInteger), float → double, str → string, bool, tuple → object?[],
/// list → List&lt;object?&gt;, dict → OrderedDictionary&lt;object, object?&gt;. Globals are checked against an allowlist
/// as soon as they are named, and calling one (REDUCE, NEWOBJ) goes through <see cref="Call"/>, so a
/// hostile pickle cannot reach anything beyond what the caller chose to construct.
/// </summary>
internal sealed class RestrictedUnpickler
{
    /// <summary>Calls an allowed global with its arguments (REDUCE, and NEWOBJ, which torch files only use to make empty containers).</summary>
    public delegate object? Call(PickleGlobal callee, object?[] args, long offset);

    private static readonly object Mark = new();

    private readonly Stream _input;
    private readonly long _start;
    private readonly string _source;
    private readonly Func<string, string, bool> _isAllowed;
    private readonly Call _call;
    private readonly Func<object?, long, object?> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private long _opcodeOffset;

    /// <param name="source">Names the pickle in every error ("file" or "file, entry").</param>
    /// <param name="isAllowed">Decides whether a (module, name) global may be named at all.</param>
    public RestrictedUnpickler(Stream input, string source, Func<string, string, bool> isAllowed, Call call, Func<object?, long, object?> persistentLoad)
    {
        _input = input;
        _start = input.Position;
        _source = source;
        _isAllowed = isAllowed;
        _call = call;
        _persistentLoad = persistentLoad;
    }

    /// <summary>Runs one pickle up to its STOP (the stream must be seekable, to check lengths against what is left) and returns the object it built; the stream is left just after STOP.</summary>
    public object? Load()
    {
        while (true)
        {
            _opcodeOffset = _input.Position - _start;
            var opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: ReadByte(); break; // PROTO: every protocol's opcodes we know read the same way
                case 0x95: ReadBytes(8); break; // FRAME: a read-ahead hint only
                case (byte)'.':
                    if (_stack.Count != 1 || _marks.Count != 0) throw Fail("STOP with an unbalanced stack");
                    return Pop();
                case (byte)'(': _marks.Push(_stack.Count); _stack.Add(Mark); break;
                case (byte)'}': _stack.Add(new OrderedDictionary<object, object?>()); break;
                case (byte)']': _stack.Add(new List<object?>()); break;
                case (byte)')': _stack.Add(Array.Empty<object?>()); break;
                case (byte)'t': _stack.Add(PopToMark().ToArray()); break;
                case 0x85: _stack.Add(PopMany(1)); break;
                case 0x86: _stack.Add(PopMany(2)); break;
                case 0x87: _stack.Add(PopMany(3)); break;
                case (byte)'X': _stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(4)))); break;
                case 0x8c: _stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadByte()))); break;
                case 0x8d: _stack.Add(Encoding.UTF8.GetString(ReadBytes(ReadLength(8)))); break;
                case (byte)'T': _stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadLength(4)))); break;
                case (byte)'U': _stack.Add(Encoding.Latin1.GetString(ReadBytes(ReadByte()))); break;
                case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break;
                case (byte)'K': _stack.Add((long)ReadByte()); break;
                case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break;
                case 0x8a: _stack.Add(ReadLong1()); break;
                case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break;
                case (byte)'N': _stack.Add(null); break;
                case 0x88: _stack.Add(true); break;
                case 0x89: _stack.Add(false); break;
                case (byte)'c': _stack.Add(Global(ReadLine(), ReadLine())); break;
                case 0x93:
                {
                    var name = Pop() as string ?? throw Fail("STACK_GLOBAL needs a string name");
                    var module = Pop() as string ?? throw Fail("STACK_GLOBAL needs a string module");
                    _stack.Add(Global(module, name));
                    break;
                }
                case (byte)'R':
                {
                    var args = Pop() as object?[] ?? throw Fail("REDUCE needs a tuple of arguments");
                    _stack.Add(_call(Callee(Pop()), args, _opcodeOffset));
                    break;
                }
                case 0x81:
                {
                    var args = Pop() as object?[] ?? throw Fail("NEWOBJ needs a tuple of arguments");
                    _stack.Add(_call(Callee(Pop()), args, _opcodeOffset));
                    break;
                }
                case (byte)'b': Build(Pop(), Peek()); break;
                case (byte)'s':
                {
                    var value = Pop();
                    var key = Pop();
                    SetItem(Peek(), key, value);
                    break;
                }
                case (byte)'u':
                {
                    var items = PopToMark();
                    if (items.Count % 2 != 0) throw Fail("SETITEMS with an odd number of items");
                    var target = Peek();
                    for (var i = 0; i < items.Count; i += 2) SetItem(target, items[i], items[i + 1]);
                    break;
                }
                case (byte)'a':
                {
                    var value = Pop();
                    AsList(Peek()).Add(value);
                    break;
                }
                case (byte)'e':
                {
                    var items = PopToMark();
                    AsList(Peek()).AddRange(items);
                    break;
                }
                case (byte)'q': _memo[ReadByte()] = Peek(); break;
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = Peek(); break;
                case 0x94: _memo[_memo.Count] = Peek(); break;
                case (byte)'h': _stack.Add(Recall(ReadByte())); break;
                case (byte)'j': _stack.Add(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break;
                case (byte)'Q': _stack.Add(_persistentLoad(Pop(), _opcodeOffset)); break;
                default: throw Fail($"unsupported pickle opcode 0x{opcode:x2} ('{DescribeOpcode(opcode)}')");
            }
        }
    }

    private InvalidDataException Fail(string message) => new($"{_source}: {message} at byte {_opcodeOffset} of the pickle");

    private static string DescribeOpcode(byte opcode) => opcode is >= 0x20 and < 0x7f ? ((char)opcode).ToString() : "binary";

    private PickleGlobal Global(string module, string name)
    {
        if (!_isAllowed(module, name))
            throw Fail($"refuses the global '{module}.{name}': only tensors are accepted (torch storages, tensor rebuilding and OrderedDict), so a checkpoint cannot run code");
        return new PickleGlobal(module, name);
    }

    private PickleGlobal Callee(object? value) => value as PickleGlobal ?? throw Fail($"cannot call a {PyTorchArchive.Describe(value)}");

    private void Build(object? state, object? target)
    {
        // state_dict() is an OrderedDict carrying `_metadata` (per-module versions) as instance state; tensors need none of it.
        if (target is OrderedDictionary<object, object?>) return;
        throw Fail($"cannot set state on a {PyTorchArchive.Describe(target)}");
    }

    private void SetItem(object? target, object? key, object? value)
    {
        if (target is not OrderedDictionary<object, object?> dict) throw Fail($"cannot set an item on a {PyTorchArchive.Describe(target)}");
        if (key is null) throw Fail("a dict key is None");
        dict[key] = value;
    }

    private List<object?> AsList(object? target) => target as List<object?> ?? throw Fail($"cannot append to a {PyTorchArchive.Describe(target)}");

    private object? Recall(long index) => _memo.TryGetValue(index, out var value) ? value : throw Fail($"memo entry {index} was never stored");

    private object? Peek()
    {
        if (_stack.Count == 0 || _stack[^1] == Mark) throw Fail("stack underflow");
        return _stack[^1];
    }

    private object? Pop()
    {
        var value = Peek();
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object?[] PopMany(int count)
    {
        var items = new object?[count];
        for (var i = count - 1; i >= 0; i--) items[i] = Pop();
        return items;
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw Fail("no MARK to pop to");
        var mark = _marks.Pop();
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private byte ReadByte()
    {
        var value = _input.ReadByte();
        return value < 0 ? throw Truncated() : (byte)value;
    }

    private byte[] ReadBytes(long count)
    {
        // Lengths come from the file: check them against what is left before allocating anything.
        if (count > _input.Length - _input.Position) throw Truncated();
        var bytes = new byte[count];
        _input.ReadExactly(bytes);
        return bytes;
    }

    private long ReadLength(int width)
    {
        var bytes = ReadBytes(width);
        var length = width == 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return length < 0 ? throw Fail($"negative length {length}") : length;
    }

    private object ReadLong1()
    {
        var value = new BigInteger(ReadBytes(ReadByte()), isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (long)value : value;
    }

    private string ReadLine()
    {
        var bytes = new List<byte>();
        for (var b = ReadByte(); b != (byte)'\n'; b = ReadByte())
        {
            if (bytes.Count > 256) throw Fail("a GLOBAL name longer than 256 bytes");
            bytes.Add(b);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private InvalidDataException Truncated() => new($"{_source}: the pickle ends early at byte {_input.Position - _start} (truncated file?)");
}
