using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep status [ID]</c>: all studies, or one study's progress per backbone.</summary>
public static class StatusCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string?>("id") { Description = "Study id; omit to list every study.", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var client = new ClusterClientOptions();
        var command = new Command("status", "Show studies, or one study's trials by status, best values and ETA.\nExit codes: 0 ok, 1 cluster error, 2 no such study.")
        {
            id, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var console = StudyRendering.Console(io);
            if (parse.GetValue(id) is not { } studyId)
            {
                var studies = await connection.Grains.GetGrain<IStudyDirectoryGrain>(0).List();
                if (parse.GetValue(json))
                {
                    io.Out.WriteLine(JsonSerializer.Serialize(studies, CliJson.Options));
                    return ExitCodes.Ok;
                }
                var table = new Table().Border(TableBorder.Rounded).AddColumns("study", "name", "state", "created (UTC)");
                foreach (var s in studies)
                    table.AddRow(Markup.Escape(s.StudyId), Markup.Escape(s.Name), s.State.ToString().ToLowerInvariant(), s.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss"));
                console.Write(table);
                return ExitCodes.Ok;
            }
            var status = await StudyQueries.Status(connection.Grains, studyId);
            if (parse.GetValue(json)) io.Out.WriteLine(JsonSerializer.Serialize(status, CliJson.Options));
            else console.Write(StudyRendering.StatusTable(status));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
