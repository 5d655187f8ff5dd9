namespace SweepCluster.Cli.Tests;

public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("sweep-cli-tests-").FullName;

    public string File(string name, string? contents = null)
    {
        var path = System.IO.Path.Combine(Path, name);
        if (contents is not null) System.IO.File.WriteAllText(path, contents);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
