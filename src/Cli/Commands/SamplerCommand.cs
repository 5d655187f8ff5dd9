using System.CommandLine;

namespace SweepCluster.Cli.Commands;

/// <summary><c>sweep sampler ...</c>: the search engine on its own, without a cluster.</summary>
public static class SamplerCommand
{
    public static Command Create(CliIO io)
    {
        var command = new Command("sampler", "Run the search engine locally, without a cluster.");
        command.Subcommands.Add(SamplerServeCommand.Create(io));
        return command;
    }
}
