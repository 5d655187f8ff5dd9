using Microsoft.Extensions.Logging;
using SweepCluster.Connection;
using SweepCluster.Contracts.Trials;
using SweepCluster.Connection.Resilience;
using SweepCluster.Worker.Workloads;

namespace SweepCluster.Worker.Leasing;

public sealed record WorkerProcessOptions
{
    public required ClusterAddress Cluster { get; init; }
    public required WorkerInfo Worker { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(60);
    public int? MaxTrials { get; init; }
    public ClusterCallOptions Calls { get; init; } = new();
    public Action<ILoggingBuilder>? Logging { get; init; }
    /// <summary>How this worker trains; null = simulated workloads only.</summary>
    public Training.TrainingWorkloadOptions? Training { get; init; }
    /// <summary>A file rewritten every few seconds for liveness probes (<see cref="Leasing.HeartbeatFile"/>); null = none.</summary>
    public string? HeartbeatFile { get; init; }
}

/// <summary>A worker process: connect to the cluster, then run the lease loop until stopped.</summary>
public static class WorkerProcess
{
    public static async Task RunAsync(WorkerProcessOptions options, CancellationToken stopping)
    {
        using var loggerFactory = LoggerFactory.Create(b => options.Logging?.Invoke(b));
        var logger = loggerFactory.CreateLogger("SweepCluster.Worker");
        await using var connection = await ClusterConnection.ConnectAsync(options.Cluster, options.ConnectTimeout, options.Logging, stopping);
        logger.LogInformation("worker {Worker} connected to {Cluster} ({Device})", options.Worker.WorkerId, options.Cluster, options.Worker.Device);
        var loop = new LeaseLoop(connection.Grains, new WorkloadSelector(options.Training, logger).For, ClusterCallPipeline.Create(options.Calls, logger),
            new LeaseLoopOptions
            {
                Worker = options.Worker,
                MaxTrials = options.MaxTrials,
                HeartbeatFile = options.HeartbeatFile is { } path ? new HeartbeatFile(path) : null,
            }, logger);
        await loop.RunAsync(stopping);
        logger.LogInformation("worker {Worker} stopped after {Trials} trials", options.Worker.WorkerId, loop.TrialsFinished);
    }

    /// <summary>
    /// This process, as host-pid-start time (UTC, to the second: <c>yyMMddHHmmss</c>): unique per process,
    /// since a pid is reused only after its process ended, and readable in `sweep workers`. Sent as
    /// <see cref="WorkerInfo.Instance"/> so the cluster can tell two processes that claim one id apart.
    /// </summary>
    public static string InstanceId { get; } = ComputeInstanceId();

    /// <summary>The default worker id: <see cref="InstanceId"/>, so two processes never share one.</summary>
    public static string NewWorkerId() => InstanceId;

    private static string ComputeInstanceId()
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return $"{Environment.MachineName}-{Environment.ProcessId}-{self.StartTime.ToUniversalTime():yyMMddHHmmss}";
    }
}
