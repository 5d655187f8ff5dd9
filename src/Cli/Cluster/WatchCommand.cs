using SweepCluster.Cli.Rendering;
using System.CommandLine;
using Spectre.Console;
using SweepCluster.Connection;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Cli.Terminal;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep watch ID</c>: a live table until the study ends, or until Ctrl-C / SIGTERM (exit 130).</summary>
public static class WatchCommand
{
    /// <summary>The <c>watch</c> verb.</summary>
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes (at least 0.1).", DefaultValueFactory = _ => 1.0, HelpName = "SECONDS" };
        // 0 or less would poll the silo without pause; refused like any other bad value (exit 2).
        interval.Validators.Add(result =>
        {
            // A word that is no number is the parser's to report; reading it here would throw.
            if (result.Tokens.Count == 0 || !double.TryParse(result.Tokens[^1].Value, System.Globalization.NumberStyles.Float,
                    System.Globalization.CultureInfo.InvariantCulture, out var seconds)) return;
            if (!(seconds >= 0.1))
                result.AddError($"--interval must be at least 0.1 seconds, got {seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        });
        var client = new ClusterClientOptions();
        var command = new Command("watch", "Follow a study live: trials by status with progress bars and the best value per backbone, and the trials " +
                                           "running now with stage, fold, epoch, loss, samples/s, best value so far and ETA. " +
                                           "A live view on a terminal; one line per change when piped or redirected. NO_COLOR turns colour off. " +
                                           "Ends when the study does, or at Ctrl-C / SIGTERM (the study keeps running).\n" +
                                           "Exit codes: 0 finished, 1 cluster error, 2 no such study, 3 cancelled, 130 interrupted.")
        {
            id, interval,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            // Our own signal handling: the watch loop may sit in a grain call (bounded only by the connect
            // timeout) or in the connection's shutdown, and a person pressing Ctrl-C expects the prompt back
            // at once. Watching changes nothing in the cluster, so abandoning those calls is safe.
            using var shutdown = new ShutdownSignal(ct);
            var watch = client.WithConnection(parse, connection => Watch(io, connection, parse.GetValue(id)!, parse.GetValue(interval), shutdown.Token), shutdown.Token);
            var interrupted = Task.Delay(Timeout.Infinite, shutdown.Token);
            if (await Task.WhenAny(watch, interrupted) == watch && !shutdown.Token.IsCancellationRequested) return await watch;
            // A moment for the live view to wind down (it restores the cursor); a grain call in flight is not waited for.
            await Task.WhenAny(watch, Task.Delay(TimeSpan.FromMilliseconds(300), CancellationToken.None));
            if (!watch.IsCompleted) _ = watch.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed, never awaited
            if (io.Terminal.IsTerminal) io.Out.Write("\u001b[?25h"); // cursor visible, whatever state the view was left in
            io.Error.WriteLine("sweep: interrupted; the study keeps running");
            return ExitCodes.Interrupted;
        });
        return command;
    }

    private static async Task<int> Watch(CliIO io, ClusterConnection connection, string studyId, double intervalSeconds, CancellationToken ct)
    {
        var delay = TimeSpan.FromSeconds(Math.Max(0.1, intervalSeconds));
        var status = await StudyQueries.Status(connection.Grains, studyId);
        status = await StudyFollower.Run(io, status, () => StudyQueries.Status(connection.Grains, studyId), delay, io.Out, ct);
        return status.State == StudyState.Cancelled ? ExitCodes.Cancelled : ExitCodes.Ok;
    }
}
