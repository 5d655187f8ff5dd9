using System.CommandLine;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Connection;
using SweepCluster.Worker.Resilience;

namespace SweepCluster.Cli.Cluster;

/// <summary>The options every cluster verb shares, and the one way they connect.</summary>
public static class ClusterCommandOptions
{
    public static Option<string?> Cluster() => new("--cluster")
    {
        Description = $"Cluster to talk to: localhost[:PORT], HOST:PORT[,HOST:PORT], or postgres:CONNECTION-STRING. " +
                      $"Default: ${ClusterAddress.EnvironmentVariable}, else localhost:{ClusterAddress.DefaultGatewayPort}.",
        HelpName = "ADDRESS",
    };

    public static Option<double> ConnectTimeout() => new("--connect-timeout")
    {
        Description = "Seconds to keep trying to reach the cluster before giving up.",
        HelpName = "SECONDS",
        DefaultValueFactory = _ => 10,
    };

    public static ClusterAddress Address(string? option)
    {
        try
        {
            return ClusterAddress.Resolve(option);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>Connects (client logging to stderr only when SWEEP_DEBUG=1) and runs <paramref name="body"/>.</summary>
    public static async Task<int> WithConnection(string? cluster, double timeoutSeconds, Func<ClusterConnection, Task<int>> body, CancellationToken cancellationToken)
    {
        var address = Address(cluster);
        await using var connection = await ClusterConnection.ConnectAsync(address, TimeSpan.FromSeconds(timeoutSeconds), DebugLogging, cancellationToken);
        // The same resilience as workers: a silo failing over answers after a few retries. Every verb's
        // calls are reads or idempotent (submit by id, cancel), so repeating the body is safe.
        return await CliPipeline.ExecuteAsync(async _ => await body(connection), cancellationToken);
    }

    private static readonly Polly.ResiliencePipeline CliPipeline = ClusterCallPipeline.Create(new ClusterCallOptions());

    public static void DebugLogging(ILoggingBuilder logging)
    {
        if (Environment.GetEnvironmentVariable("SWEEP_DEBUG") is "1") logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
    }
}
