using System.CommandLine;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Worker.Leasing;
using SweepCluster.Worker.Training;
using SweepCluster.Training.Storage;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep worker</c>: lease and run trials until SIGTERM (which releases the running trial).</summary>
public static class WorkerCommand
{
    public static Command Create(CliIO io)
    {
        var simulated = new Option<bool>("--simulated") { Description = "Run only simulated workloads (SUITE.md learning curves), no training." };
        var id = new Option<string?>("--id") { Description = "Worker id shown by `sweep workers` (default: host-pid-start time, unique per process). The cluster refuses an id that a live worker holds.", HelpName = "ID" };
        var parentPid = new Option<int?>("--parent-pid") { Description = "Stop (releasing the running trial) when the process with this id ends; `sweep up` passes its own.", HelpName = "PID" };
        var families = new Option<string[]>("--families") { Description = "Backbone families this worker runs (default: all).", AllowMultipleArgumentsPerToken = true, HelpName = "FAMILY" };
        var gpuMemory = new Option<long>("--gpu-memory-mb") { Description = "GPU memory this worker offers; backbones that need more are left to others.", HelpName = "MIB" };
        var maxTrials = new Option<int?>("--max-trials") { Description = "Exit after this many trials.", HelpName = "N" };
        var device = new Option<string>("--device") { Description = "Where to train: auto (CUDA when available), cuda or cpu.", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cuda", "cpu");
        var artifacts = new Option<string?>("--artifacts") { Description = $"Folder for trial artifacts (out-of-fold probabilities, models); shared storage on a cluster. Default: {ArtifactLayout.DefaultHelp}.", HelpName = "DIR" };
        var threads = new Option<int>("--threads") { Description = "CPU threads for training (0: all cores).", HelpName = "N" };
        var logLevel = new Option<string>("--log-level") { Description = "Log level of the Orleans client on stderr (trial progress is always logged).", DefaultValueFactory = _ => "warning" };
        logLevel.AcceptOnlyFromAmong("trace", "debug", "information", "warning", "error");
        var heartbeatFile = new Option<string?>("--heartbeat-file")
        {
            Description = "Rewrite this file every 5 s while the worker runs, for liveness probes (its age tells a hung worker). Default: $SWEEP_HEARTBEAT_FILE, else none.",
            HelpName = "FILE",
        };
        // A worker outlives silo restarts: it keeps trying to connect for a minute.
        var client = new ClusterClientOptions(defaultConnectTimeoutSeconds: 60);
        var command = new Command("worker", "Run a worker: lease trials from the cluster, run them, report every epoch. SIGTERM releases the running trial.")
        {
            simulated, id, parentPid, families, gpuMemory, device, artifacts, threads, maxTrials, logLevel, heartbeatFile,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            using var signal = new ShutdownSignal(ct);
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(signal.Token);
            using var parentWatch = parse.GetValue(parentPid) is int pid ? ParentProcessWatch.Start(pid, () =>
            {
                io.Error.WriteLine($"{DateTime.Now:HH:mm:ss} parent process {pid} ended: stopping this worker");
                shutdown.Cancel();
            }) : null;
            var level = Enum.Parse<LogLevel>(parse.GetValue(logLevel)!, ignoreCase: true);
            var isSimulated = parse.GetValue(simulated);
            var training = isSimulated ? null : new TrainingWorkloadOptions
            {
                ArtifactsRoot = Path.GetFullPath(ArtifactLayout.Root(parse.GetValue(artifacts))),
                Device = parse.GetValue(device)!,
                Threads = parse.GetValue(threads),
            };
            var options = new WorkerProcessOptions
            {
                Cluster = client.Address(parse),
                Worker = new WorkerInfo
                {
                    WorkerId = parse.GetValue(id) ?? WorkerProcess.NewWorkerId(),
                    Instance = WorkerProcess.InstanceId,
                    Host = Environment.MachineName,
                    ProcessId = Environment.ProcessId,
                    Families = parse.GetValue(families) ?? [],
                    GpuMemoryMb = parse.GetValue(gpuMemory),
                    Device = isSimulated ? "simulated" : TrainingDeviceName(parse.GetValue(device)!, parse.GetValue(threads)),
                    SimulatedOnly = isSimulated,
                },
                Training = training,
                ConnectTimeout = client.ConnectTimeout(parse),
                MaxTrials = parse.GetValue(maxTrials),
                HeartbeatFile = parse.GetValue(heartbeatFile) ?? NonEmpty(Environment.GetEnvironmentVariable("SWEEP_HEARTBEAT_FILE")),
                Logging = logging => CliLogging.ToStandardError(logging, level),
            };
            try
            {
                await WorkerProcess.RunAsync(options, shutdown.Token);
            }
            catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
            {
            }
            catch (WorkerIdInUseException e)
            {
                // Choosing the id was the user's doing: report it like a bad option (exit 2).
                throw new UsageException(e.Message, e);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The device this worker will train on, as `sweep workers` shows it (loads the native torch library to probe CUDA).</summary>
    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string TrainingDeviceName(string requested, int threads)
    {
        SweepCluster.Training.Runtime.TorchRuntime.Start(threads);
        try
        {
            return TrainingDevice.Describe(TrainingDevice.Resolve(requested));
        }
        catch (InvalidOperationException e)
        {
            throw new UsageException(e.Message, e);
        }
    }
}
