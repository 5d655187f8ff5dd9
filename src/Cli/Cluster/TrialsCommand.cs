using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Data;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep trials ID</c>: every trial of a study as a table, CSV or JSON.</summary>
public static class TrialsCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var format = new Option<string>("--format") { Description = "Output format.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        // Every other verb that prints a result takes --json; here it is the same as --format json.
        var json = new Option<bool>("--json") { Description = "Print the trials as JSON (the same as --format json)." };
        var backbone = new Option<string?>("--backbone") { Description = "Only this backbone's trials.", HelpName = "NAME" };
        var status = new Option<string?>("--status") { Description = "Only trials in this status.", HelpName = "STATUS" };
        status.AcceptOnlyFromAmong(Enum.GetValues<TrialState>().Select(s => s.ToWire()).ToArray());
        var client = new ClusterClientOptions();
        var command = new Command("trials", "List a study's trials: parameters, status, value, attempts, duration.\nExit codes: 0 ok, 1 cluster error, 2 no such study.")
        {
            id, format, json, backbone, status,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            IEnumerable<TrialView> trials = await StudyQueries.Trials(connection.Grains, parse.GetValue(id)!);
            if (parse.GetValue(backbone) is { } b) trials = trials.Where(t => t.Backbone == b);
            if (parse.GetValue(status) is { } s) trials = trials.Where(t => t.Status.ToWire() == s);
            var list = trials.OrderBy(t => t.Backbone, StringComparer.Ordinal).ThenBy(t => t.Number).ToList();
            switch (parse.GetValue(json) ? "json" : parse.GetValue(format))
            {
                case "json":
                    io.Out.WriteLine(JsonSerializer.Serialize(list.Select(TrialRendering.Json), CliJson.Options));
                    break;
                case "csv":
                    io.Out.Write(TrialRendering.Csv(list));
                    break;
                default:
                    var table = new Table().Border(TableBorder.Rounded).AddColumns("backbone", "#", "status", "value", "steps", "attempts", "duration", "params");
                    foreach (var t in list)
                        table.AddRow(Markup.Escape(t.Backbone), t.Number.ToString(CultureInfo.InvariantCulture), t.Status.ToWire(), StudyRendering.Number(t.Value),
                            t.IntermediateValues.Count.ToString(CultureInfo.InvariantCulture), t.Attempts.ToString(CultureInfo.InvariantCulture),
                            StudyRendering.Duration(t.Duration), Markup.Escape(StudyRendering.Params(t.Params)));
                    StudyRendering.Console(io).Write(table);
                    break;
            }
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
