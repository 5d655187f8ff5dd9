using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Text.Json;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep cancel ID</c>: stops a study; running trials are told to stop at their next report.</summary>
public static class CancelCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var json = new Option<bool>("--json") { Description = "Print the study's status after the cancel as JSON." };
        var client = new ClusterClientOptions();
        var command = new Command("cancel", "Cancel a study: no new trials; running ones stop at their next report. Finished results are kept.\n" +
                                            "Exit codes: 0 cancelled (or already ended), 1 cluster error, 2 no such study.")
        {
            id, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var status = await StudyQueries.Cancel(connection.Grains, parse.GetValue(id)!);
            io.Out.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(status, CliJson.Options)
                : $"{status.StudyId}: {status.State.ToString().ToLowerInvariant()} ({status.Finished}/{status.Budget} trials finished)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
