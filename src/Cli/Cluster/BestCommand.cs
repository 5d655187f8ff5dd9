using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep best ID</c>: the best trial per backbone.</summary>
public static class BestCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var client = new ClusterClientOptions();
        var command = new Command("best", "The best trial and its parameters for each backbone.\nExit codes: 0 ok, 1 cluster error, 2 no such study, 4 no trial has completed yet.")
        {
            id, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var status = await StudyQueries.Status(connection.Grains, parse.GetValue(id)!);
            var best = status.Backbones.Where(b => b.BestValue is not null).ToList();
            if (parse.GetValue(json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(best.Select(b => new { backbone = b.Backbone, trial = b.BestTrial, value = b.BestValue, @params = b.BestParams }), CliJson.Options));
            }
            else
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("backbone", "trial", status.Metric, "params");
                foreach (var b in best)
                    table.AddRow(Markup.Escape(b.Backbone), b.BestTrial?.ToString() ?? "-", StudyRendering.Number(b.BestValue), Markup.Escape(StudyRendering.Params(b.BestParams)));
                StudyRendering.Console(io).Write(table);
            }
            return best.Count > 0 ? ExitCodes.Ok : ExitCodes.NothingYet;
        }, ct));
        return command;
    }
}
