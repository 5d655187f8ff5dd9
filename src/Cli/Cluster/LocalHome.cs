using SweepCluster.Training.Storage;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// The folder a one-machine cluster (`sweep up`) keeps its files in, and what lies in it: the embedded
/// storage (<c>sweep.db</c>) and the artifacts root (<see cref="ArtifactLayout.DefaultRoot"/>). Every verb that
/// reads that folder (`up`, `delete --artifacts`) resolves it here, so they agree on where things are.
/// </summary>
public static class LocalHome
{
    /// <summary>Environment variable that moves the folder (the default is ~/.sweepcluster).</summary>
    public const string Variable = "SWEEP_HOME";

    /// <summary>What --data-dir's help says about the default.</summary>
    public const string DefaultHelp = "$SWEEP_HOME, else ~/.sweepcluster";

    /// <summary>The folder: <paramref name="given"/> (--data-dir), else $SWEEP_HOME, else ~/.sweepcluster.</summary>
    public static string Resolve(string? given) => given ?? Environment.GetEnvironmentVariable(Variable)
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".sweepcluster");

    /// <summary>The embedded SQLite database in <paramref name="home"/>.</summary>
    public static string Database(string home) => Path.Combine(home, "sweep.db");

    /// <summary>The artifacts root in <paramref name="home"/> (absolute: workers started from elsewhere share it).</summary>
    public static string ArtifactsRoot(string home) => Path.GetFullPath(Path.Combine(home, ArtifactLayout.DefaultRoot));
}
