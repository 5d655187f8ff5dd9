using Microsoft.Extensions.Logging;
using SweepCluster.Cli.Cluster;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>What the long-running verbs (silo, worker, up) let through to their logs.</summary>
public sealed class CliLoggingTests
{
    private static ILoggerFactory Factory(LogLevel level) => LoggerFactory.Create(logging => CliLogging.ToStandardError(logging, level));

    /// <summary>
    /// bench/Chaos/chaos.sh: while a silo restarted (about 10 s), each worker's Orleans client logged the gateway manager's
    /// two warnings ("All known gateways have been marked dead locally…", "…Clearing the list of dead gateways…") up
    /// to 22 times a second, 350 lines a run, on top of the worker's own line per failed call and its "cluster calls
    /// keep failing" / "succeed again" pair, which already say the cluster is unreachable and when it is back.
    /// </summary>
    [Fact]
    public void A_silo_restart_is_reported_by_the_workers_own_lines_not_by_the_gateway_managers_warnings()
    {
        using var factory = Factory(LogLevel.Information);
        Assert.False(factory.CreateLogger("Orleans.Messaging.GatewayManager").IsEnabled(LogLevel.Warning));
        Assert.True(factory.CreateLogger("Orleans.Messaging.GatewayManager").IsEnabled(LogLevel.Error));
        Assert.True(factory.CreateLogger("SweepCluster.Worker").IsEnabled(LogLevel.Warning));
        Assert.True(factory.CreateLogger("Orleans.Runtime.Silo").IsEnabled(LogLevel.Warning));
        // --log-level debug (or SWEEP_DEBUG) still shows them.
        using var debug = Factory(LogLevel.Debug);
        Assert.True(debug.CreateLogger("Orleans.Messaging.GatewayManager").IsEnabled(LogLevel.Warning));
    }
}
