namespace SweepCluster.Training.Storage;

/// <summary>Files that are complete or absent: a reader never sees half of one, even when the writer dies mid-write.</summary>
public static class AtomicFile
{
    /// <summary>Writes beside the target under a temporary name, then renames over it.</summary>
    public static void WriteAllText(string path, string content)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, "." + Path.GetFileName(path) + ".tmp-" + Environment.ProcessId);
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
