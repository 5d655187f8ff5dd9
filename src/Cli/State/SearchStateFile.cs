using System.Text;
using SweepCluster.Cli.Protocol;

namespace SweepCluster.Cli.State;

/// <summary>
/// The served searches on disk (<see cref="ServedSearches.ToJson"/>: one search's snapshot, or every backbone's), so a restarted server resumes
/// bit-identically. Writes replace the file atomically, so a crash leaves the previous snapshot or the new
/// one, never half of one. While open, a lock file keeps a second server from writing the same state.
/// </summary>
public sealed class SearchStateFile : IDisposable
{
    private readonly FileStream _lock;

    private SearchStateFile(string path, FileStream lockStream)
    {
        Path = path;
        _lock = lockStream;
    }

    public string Path { get; }

    public static SearchStateFile Open(string path)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(fullPath)) throw new UsageException($"state file '{path}' is a directory");
        var directory = System.IO.Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory)) throw new UsageException($"state file '{path}': directory '{directory}' does not exist");
        try
        {
            // FileShare.None takes an exclusive lock (flock on Unix) that the OS drops if the process dies.
            var lockStream = new FileStream(
                fullPath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return new SearchStateFile(path, lockStream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The OS message tells contention ("used by another process") from other failures.
            throw new IOException($"state file '{path}': cannot lock it: {e.Message}", e);
        }
    }

    /// <summary>The saved searches, or null when there is no snapshot yet.</summary>
    /// <exception cref="UsageException">The file is not a state file.</exception>
    public ServedSearches? Load()
    {
        if (!File.Exists(Path)) return null;
        var json = File.ReadAllText(Path);
        try
        {
            return ServedSearches.FromJson(json);
        }
        catch (Exception e) when (e is not IOException)
        {
            // A snapshot that does not parse is bad input; the search engine reports it with several exception types.
            throw new UsageException($"state file '{Path}' is not a search snapshot: {e.Message}", e);
        }
    }

    public void Save(ServedSearches searches)
    {
        var temp = Path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(searches.ToJson()));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, Path, overwrite: true);
    }

    public void Dispose() => _lock.Dispose();
}
