using System.CommandLine;
using Spectre.Console;
using SweepCluster.Contracts.Studies;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep watch ID</c>: a live table until the study ends.</summary>
public static class WatchCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes.", DefaultValueFactory = _ => 1.0, HelpName = "SECONDS" };
        var client = new ClusterClientOptions();
        var command = new Command("watch", "Follow a study live: trials by status with progress bars and the best value per backbone.\n" +
                                           "Ends when the study does. Exit codes: 0 finished, 1 cluster error, 2 no such study, 3 cancelled.")
        {
            id, interval,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var studyId = parse.GetValue(id)!;
            var delay = TimeSpan.FromSeconds(Math.Max(0.1, parse.GetValue(interval)));
            var status = await StudyQueries.Status(connection.Grains, studyId);
            if (io.Out == Console.Out && !Console.IsOutputRedirected)
            {
                await AnsiConsole.Live(StudyRendering.StatusTable(status)).StartAsync(async live =>
                {
                    while (status.State == StudyState.Running && !ct.IsCancellationRequested)
                    {
                        await Task.Delay(delay, ct);
                        status = await StudyQueries.Status(connection.Grains, studyId);
                        live.UpdateTarget(StudyRendering.StatusTable(status));
                    }
                });
            }
            else
            {
                // Not a terminal: one line per change, so logs and tests can follow it.
                var console = StudyRendering.Console(io.Out);
                var last = "";
                while (true)
                {
                    var line = $"{DateTime.UtcNow:HH:mm:ss} {status.State.ToString().ToLowerInvariant()} {status.Finished}/{status.Budget} " +
                               string.Join(" ", status.Backbones.Select(b => $"{b.Backbone}={b.Finished}/{b.Budget} best={StudyRendering.Number(b.BestValue)}"));
                    if (line[9..] != last) io.Out.WriteLine(line);
                    last = line[9..];
                    if (status.State != StudyState.Running) break;
                    await Task.Delay(delay, ct);
                    status = await StudyQueries.Status(connection.Grains, studyId);
                }
                console.Write(StudyRendering.StatusTable(status));
            }
            return status.State == StudyState.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
        }, ct));
        return command;
    }
}
