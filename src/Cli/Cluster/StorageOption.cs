using SweepCluster.Connection;

namespace SweepCluster.Cli.Cluster;

/// <summary>The --storage value of `sweep silo` and `sweep up`.</summary>
public static class StorageOption
{
    /// <summary>sqlite:PATH, postgres:CONNECTION-STRING or memory (<see cref="StorageLocation.Parse"/>).</summary>
    /// <exception cref="UsageException">The text is none of those; the message says which forms are accepted.</exception>
    public static StorageLocation Parse(string text)
    {
        try
        {
            return StorageLocation.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message, e);
        }
    }
}
