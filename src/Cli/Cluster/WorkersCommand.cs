using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep workers</c>: the workers the cluster has heard from.</summary>
public static class WorkersCommand
{
    public static Command Create(CliIO io)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var client = new ClusterClientOptions();
        var command = new Command("workers", "Workers seen in the last minutes: device, capabilities, current trial.\nExit codes: 0 ok, 1 cluster error.")
        {
            json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var workers = await connection.Grains.GetGrain<IWorkerDirectoryGrain>(0).List();
            if (parse.GetValue(json))
            {
                io.Out.WriteLine(JsonSerializer.Serialize(workers, CliJson.Options));
                return ExitCodes.Ok;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumns("worker", "host", "device", "gpu MiB", "families", "connected", "trial", "done", "last seen");
            foreach (var w in workers)
                table.AddRow(Markup.Escape(w.Info.WorkerId), Markup.Escape(w.Info.Host), w.Info.Device, w.Info.GpuMemoryMb.ToString(CultureInfo.InvariantCulture),
                    w.Info.Families.Count == 0 ? "all" : string.Join(",", w.Info.Families), w.Connected ? "yes" : "no",
                    Markup.Escape(w.CurrentTrial ?? "-"), w.TrialsFinished.ToString(CultureInfo.InvariantCulture),
                    $"{(DateTime.UtcNow - w.LastSeenUtc).TotalSeconds:0}s ago");
            StudyRendering.Console(io).Write(table);
            io.Out.WriteLine($"{workers.Count(w => w.Connected)} connected");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
