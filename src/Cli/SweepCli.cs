using System.CommandLine;
using SweepCluster.Cli.Cluster;
using SweepCluster.Cli.Commands;

namespace SweepCluster.Cli;

/// <summary>The <c>sweep</c> command line: builds the command tree and maps outcomes to <see cref="ExitCodes"/>.</summary>
public static class SweepCli
{
    public static RootCommand BuildRootCommand(CliIO io)
    {
        var root = new RootCommand("SweepCluster: hyperparameter search on a cluster, or locally.");
        // Each verb (or verb group) lives in Commands/ and registers here.
        root.Subcommands.Add(UpCommand.Create(io));
        root.Subcommands.Add(SubmitCommand.Create(io));
        root.Subcommands.Add(StatusCommand.Create(io));
        root.Subcommands.Add(WatchCommand.Create(io));
        root.Subcommands.Add(TrialsCommand.Create(io));
        root.Subcommands.Add(BestCommand.Create(io));
        root.Subcommands.Add(ReportCommand.Create(io));
        root.Subcommands.Add(CancelCommand.Create(io));
        root.Subcommands.Add(FinalizeCommand.Create(io));
        root.Subcommands.Add(Training.PredictCommand.Create(io));
        root.Subcommands.Add(WorkersCommand.Create(io));
        root.Subcommands.Add(SiloCommand.Create(io));
        root.Subcommands.Add(WorkerCommand.Create(io));
        root.Subcommands.Add(SamplerCommand.Create(io));
        root.Subcommands.Add(Training.CheckpointCommand.Create(io));
        return root;
    }

    public static int Run(string[] args, CliIO io)
    {
        var parseResult = BuildRootCommand(io).Parse(args);
        // Parse errors are usage errors (exit 2); System.CommandLine's own handler would exit 1.
        // Help and version actions clear parse errors, so `sweep x --help` still shows help.
        if (parseResult.Errors.Count > 0 && parseResult.Action is not { ClearsParseErrors: true })
        {
            foreach (var error in parseResult.Errors) io.Error.WriteLine($"sweep: {error.Message}");
            io.Error.WriteLine($"Run '{CommandPath(parseResult)} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return parseResult.Invoke(new InvocationConfiguration
            {
                Output = io.Out,
                Error = io.Error,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (UsageException e)
        {
            io.Error.WriteLine($"sweep: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception wrapped) when (SweepCluster.Contracts.Grains.StorageUnavailableException.Find(wrapped) is { } e)
        {
            // The cluster itself keeps retrying (workers, studies); this command does not, so say what to do.
            io.Error.WriteLine($"sweep: {e.Message}; the cluster retries on its own: run this again once the storage is back");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            io.Error.WriteLine($"sweep: {e.Message}");
            if (Environment.GetEnvironmentVariable("SWEEP_DEBUG") is "1") io.Error.WriteLine(e);
            return ExitCodes.Failure;
        }
    }

    private static string CommandPath(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Add(result.Command is RootCommand ? "sweep" : result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
