using System.Globalization;

namespace SweepCluster.Worker.Leasing;

/// <summary>
/// A file the worker rewrites every few seconds while its loops run, so a Kubernetes exec probe can tell a
/// live worker from a hung one without an HTTP server in the worker: the probe checks the file's age
/// (deploy/k8s: <c>find FILE -mmin -1</c>). It is written by the directory heartbeat loop whether or not
/// the cluster answers, because restarting a worker does not bring an unreachable silo back; what it
/// proves is that the process still schedules work. The content is one line for people:
/// <c>2026-12-01T05:20:00.000Z idle</c> or <c>… running TRIAL</c>.
/// </summary>
/// <param name="path">The file; its folder is created if missing. Written atomically (temp file, then rename).</param>
public sealed class HeartbeatFile(string path)
{
    /// <summary>The file's full path.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>Rewrites the file with the current UTC time and <paramref name="state"/>.</summary>
    /// <exception cref="IOException">The folder is not writable (e.g. a read-only root without a scratch volume).</exception>
    /// <exception cref="UnauthorizedAccessException">The process may not write there.</exception>
    public void Beat(string state)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var temp = Path + ".tmp";
        File.WriteAllText(temp, DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture) + " " + state + "\n");
        File.Move(temp, Path, overwrite: true);
    }
}
