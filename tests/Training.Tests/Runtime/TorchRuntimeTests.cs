using SweepCluster.Training.Runtime;
using static TorchSharp.torch;

namespace SweepCluster.Training.Tests.Runtime;

public sealed class TorchRuntimeTests
{
    private static string NativeLibrary() => Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");

    [Fact]
    public void After_EnsureLoadable_torch_computes()
    {
        TorchRuntime.EnsureLoadable();
        using var sum = ones(2, 3).sum();
        Assert.Equal(6f, sum.item<float>());
    }

    /// <summary>The library as NuGet ships it (the copy next to the tests may already be patched).</summary>
    private static string ShippedLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    /// <summary>readelf's own view (binutils, an independent ELF reader) of one version requirement's flags.</summary>
    private static string ReadelfFlags(string path, string version)
    {
        var start = new System.Diagnostics.ProcessStartInfo("readelf", ["-V", "-W", path]) { RedirectStandardOutput = true };
        using var process = System.Diagnostics.Process.Start(start)!;
        var line = process.StandardOutput.ReadToEnd().Split('\n').Single(l => l.Contains($"Name: {version} "));
        process.WaitForExit();
        return line[(line.IndexOf("Flags: ", StringComparison.Ordinal) + 7)..].Split(' ')[0];
    }

    [Fact]
    public void The_patch_makes_only_that_requirement_weak_as_readelf_sees_it_and_is_idempotent()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"torchsharp-{Guid.NewGuid():N}.so");
        File.Copy(ShippedLibrary(), copy);
        try
        {
            var original = File.ReadAllBytes(copy);
            Assert.Equal("none", ReadelfFlags(copy, TorchRuntime.RequiredVersion));

            Assert.True(ElfVersionPatcher.MakeWeak(copy, TorchRuntime.RequiredVersion));
            var patched = File.ReadAllBytes(copy);
            Assert.Equal("WEAK", ReadelfFlags(copy, TorchRuntime.RequiredVersion));
            Assert.Equal("none", ReadelfFlags(copy, "GLIBCXX_3.4.19"));
            Assert.Single(Enumerable.Range(0, patched.Length), i => patched[i] != original[i]);

            Assert.False(ElfVersionPatcher.MakeWeak(copy, TorchRuntime.RequiredVersion));
            Assert.Equal(patched, File.ReadAllBytes(copy));
            Assert.Null(ElfVersionPatcher.FindVernauxFlags(patched, "GLIBCXX_9.9.99"));
        }
        finally
        {
            File.Delete(copy);
        }
    }

    [Fact]
    public void A_file_that_is_not_elf_is_refused_by_name()
    {
        var e = Assert.Throws<InvalidDataException>(() => ElfVersionPatcher.FindVernauxFlags("not an elf file at all, long enough to pass the size check........"u8.ToArray(), "x", "model.so"));
        Assert.Contains("model.so: not an ELF file", e.Message);
    }
}
