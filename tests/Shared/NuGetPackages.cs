namespace SweepCluster.Tests.Shared;

/// <summary>Packages that a test project's restore downloaded (PackageDownload), found in the NuGet global packages folder.</summary>
public static class NuGetPackages
{
    /// <summary>The pretrained encoders' package version (../shared/models/README.md, "Available here").</summary>
    public const string SentenceTransformersVersion = "24.9.52193";

    /// <summary>
    /// The DLL of SentenceTransformers.<paramref name="name"/> (MiniLM, ArcticXs), which embeds the encoder's ONNX graph:
    /// under $NUGET_PACKAGES, else ~/.nuget/packages.
    /// </summary>
    /// <exception cref="FileNotFoundException">The package was not restored.</exception>
    public static string SentenceTransformersAssembly(string name)
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, $"sentencetransformers.{name.ToLowerInvariant()}", SentenceTransformersVersion, "lib", "netstandard2.1", $"SentenceTransformers.{name}.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path}: missing; the test project's restore downloads it (PackageDownload)", path);
    }
}
