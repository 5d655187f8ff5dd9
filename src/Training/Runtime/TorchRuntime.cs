using System.Buffers.Binary;
using System.Text;

namespace SweepCluster.Training.Runtime;

/// <summary>
/// Makes TorchSharp-cpu 0.107.0 load on hosts with an older libstdc++ (Debian 12 stops at GLIBCXX_3.4.30).
/// libLibTorchSharp.so asks for GLIBCXX_3.4.32 for one symbol (<c>_ZSt21ios_base_library_initv</c>) that
/// nothing calls, so the loader refuses the library and the first torch call fails with a misleading
/// message about libtorch. Marking that one version requirement weak (VER_FLG_WEAK in its Vernaux entry)
/// lets it load. Done once per process, only when the host lacks the version; hosts with GCC 13+ need
/// nothing. Re-check on every TorchSharp upgrade.
/// </summary>
public static class TorchRuntime
{
    public const string RequiredVersion = "GLIBCXX_3.4.32";
    private const string Library = "libLibTorchSharp.so";
    private static readonly Lock Gate = new();
    private static bool _done;

    /// <summary>
    /// Patches the native library next to this program if needed. Idempotent and thread-safe. The .NET 10
    /// container images (Ubuntu 24.04, GCC 14's libstdc++) need no patch, so a read-only image never writes.
    /// </summary>
    /// <exception cref="InvalidOperationException">The host lacks <see cref="RequiredVersion"/> and the program's
    /// folder is read-only (e.g. a container with a read-only root on an older distro): the message says how to
    /// fix it. Without this the first torch call would fail later with a misleading libtorch error.</exception>
    /// <summary>
    /// Makes torch usable in this process (<see cref="EnsureLoadable"/>) and sets its intra-op CPU threads
    /// (0 keeps torch's default, one per core): what a worker does before its first tensor.
    /// </summary>
    /// <exception cref="InvalidOperationException">As <see cref="EnsureLoadable"/>.</exception>
    public static void Start(int threads)
    {
        EnsureLoadable();
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
    }

    public static void EnsureLoadable()
    {
        lock (Gate)
        {
            if (_done) return;
            if (OperatingSystem.IsLinux() && !HostHasVersion(RequiredVersion))
            {
                foreach (var path in Candidates().Where(File.Exists)) Patch(path);
            }
            _done = true;
        }
    }

    private static void Patch(string path)
    {
        try
        {
            ElfVersionPatcher.MakeWeak(path, RequiredVersion);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new InvalidOperationException(
                $"{path} needs {RequiredVersion}, which this host's libstdc++ lacks (GCC 13 or newer has it), and it cannot be " +
                $"patched in place ({e.Message}). Run this program once where its folder is writable (the patch is kept), " +
                "or use a host or image with a newer libstdc++ (mcr.microsoft.com/dotnet/aspnet:10.0, Ubuntu 24.04, has it).", e);
        }
    }

    private static IEnumerable<string> Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, Library);
        yield return Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", Library);
    }

    /// <summary>Whether the system libstdc++ defines <paramref name="version"/> (its version names are plain strings in the file).</summary>
    public static bool HostHasVersion(string version)
    {
        foreach (var candidate in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" })
        {
            if (!File.Exists(candidate)) continue;
            var bytes = File.ReadAllBytes(candidate);
            return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) >= 0;
        }
        return true; // no libstdc++ where we know to look: leave the library alone
    }
}

/// <summary>Flips one version requirement of an ELF64 little-endian shared object to weak, in place (atomically).</summary>
public static class ElfVersionPatcher
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    /// <summary>Returns true when the file was changed, false when the requirement was already weak or absent.</summary>
    public static bool MakeWeak(string path, string versionName)
    {
        var bytes = File.ReadAllBytes(path);
        var offset = FindVernauxFlags(bytes, versionName, path);
        if (offset is not int flagsAt) return false;
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(flagsAt));
        if ((flags & VerFlagWeak) != 0) return false;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(flagsAt), (ushort)(flags | VerFlagWeak));
        var temporary = path + ".patching";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
        return true;
    }

    /// <summary>The file offset of vna_flags of the Vernaux entry named <paramref name="versionName"/>, or null.</summary>
    public static int? FindVernauxFlags(byte[] elf, string versionName, string path = "(elf)")
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException($"{path}: only 64-bit little-endian ELF is supported");
        var span = elf.AsSpan();
        var sectionHeaders = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3A..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3C..]);
        for (var i = 0; i < count; i++)
        {
            var header = span[(sectionHeaders + i * entrySize)..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != ShtGnuVerneed) continue;
            var sectionOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            var entries = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x2C..]); // sh_info: number of Verneed entries
            var strings = (int)BinaryPrimitives.ReadUInt64LittleEndian(span[(sectionHeaders + link * entrySize + 0x18)..]);
            var verneed = sectionOffset;
            for (var n = 0; n < entries; n++)
            {
                var auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(verneed + 2)..]);
                var aux = verneed + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 8)..]);
                for (var a = 0; a < auxCount; a++)
                {
                    var nameOffset = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]);
                    if (CString(span, strings + nameOffset) == versionName) return aux + 4; // after vna_hash (4 bytes)
                    aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
                }
                verneed += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(verneed + 12)..]);
            }
        }
        return null;
    }

    private static string CString(ReadOnlySpan<byte> span, int start)
    {
        var end = span[start..].IndexOf((byte)0);
        return Encoding.ASCII.GetString(span.Slice(start, end));
    }
}
