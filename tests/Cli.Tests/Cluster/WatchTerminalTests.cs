using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// `sweep watch` as a person runs it: through a pseudo-terminal (util-linux `script`) it draws the live,
/// coloured view and Ctrl-C ends it; piped, it prints plain lines and SIGTERM or SIGINT end it. Either
/// way within 2 s, with exit 130, and the study goes on.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class WatchTerminalTests
{
    /// <summary>A silo and a study that stays running: no workers, so nothing finishes.</summary>
    private static async Task<(LocalCluster Cluster, string StudyId)> RunningStudy()
    {
        var cluster = new LocalCluster();
        await cluster.StartSilo();
        var study = cluster.WriteStudy("idle", LocalCluster.SimulatedStudy("idle", ["distilbert", "roberta"], trials: 4, maxParallel: 2, steps: 4, stepSeconds: 0.01));
        return (cluster, await cluster.Submit(study, "idle-1"));
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Piped_watch_prints_plain_lines_and_a_signal_ends_it_within_2_s_with_130(string signal)
    {
        var (cluster, id) = await RunningStudy();
        await using var _ = cluster;
        var watch = cluster.Start("watch", "watch", id, "--interval", "0.2", "--cluster", cluster.Address);
        await watch.WaitForOutput("running 0/8");
        Assert.DoesNotContain("\u001b[", watch.Output);

        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", [$"-{signal}", watch.Id.ToString(CultureInfo.InvariantCulture)])) await kill!.WaitForExitAsync(TestContext.Current.CancellationToken);
        var code = await watch.WaitForExitAsync(5);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"watch took {clock.Elapsed.TotalSeconds:0.0} s to stop after SIG{signal}:\n{watch.Output}");
        Assert.Equal(130, code);
        Assert.Contains("interrupted", watch.Output);
        Assert.Equal("running", (await cluster.Status(id)).GetProperty("state").GetString());
    }

    [Theory]
    [InlineData(100, false)]
    [InlineData(200, true)]
    public async Task In_a_terminal_watch_draws_a_live_view_of_the_terminal_width_and_Ctrl_C_ends_it(int columns, bool noColor)
    {
        var (cluster, id) = await RunningStudy();
        await using var _ = cluster;
        var sweep = $"{Quote(SweepProcess.DotnetHost())} {Quote(Path.Combine(AppContext.BaseDirectory, "sweep.dll"))} watch {id} --interval 0.2 --cluster {cluster.Address}";
        var start = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        // script runs the command on a new pseudo-terminal: stdout is a terminal of the size stty sets.
        foreach (var a in new[] { "-q", "-e", "-c", $"stty cols {columns} rows 40; exec {sweep}", "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        if (noColor) start.Environment["NO_COLOR"] = "1";
        else start.Environment.Remove("NO_COLOR");
        using var script = Process.Start(start)!;
        var output = new StringBuilder();
        var reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await script.StandardOutput.ReadAsync(buffer.AsMemory(), TestContext.Current.CancellationToken)) > 0) lock (output) output.Append(buffer, 0, n);
        }, TestContext.Current.CancellationToken);
        string Output() { lock (output) return output.ToString(); }
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!Output().Contains("0/8 trials finished", StringComparison.Ordinal))
            {
                Assert.False(script.HasExited, $"watch ended early:\n{Output()}");
                Assert.True(DateTime.UtcNow < deadline, $"no live view after 60 s:\n{Output()}");
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }
            await Task.Delay(1000, TestContext.Current.CancellationToken); // a few refreshes

            var frame = Output();
            Assert.Contains("\u001b[?25l", frame); // the live view hides the cursor while it redraws
            Assert.Contains("╭", frame); // the table, not the plain lines
            Assert.DoesNotContain("running 0/8", frame);
            if (noColor) Assert.DoesNotContain("\u001b[38;", frame);
            // What lands on one screen line: text between line breaks and cursor movements.
            var pieces = System.Text.RegularExpressions.Regex.Split(frame, "\u001b(?:\\[[0-9;?]*[A-Za-z]|[=>])|\r?\n|\r");
            Assert.All(pieces, l => Assert.True(l.Length <= columns, $"{l.Length} > {columns}: {l}"));
            if (columns >= 200) Assert.Contains(pieces, l => l.Length > 100); // uses the width it has

            // Ctrl-C as a person types it: the terminal turns ^C into SIGINT for watch.
            var clock = Stopwatch.StartNew();
            await script.StandardInput.WriteAsync('\u0003');
            await script.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
            await script.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"watch took {clock.Elapsed.TotalSeconds:0.0} s to stop after Ctrl-C");
            Assert.Equal(130, script.ExitCode);
            Assert.Contains("\u001b[?25h", Output()); // cursor shown again
        }
        finally
        {
            if (!script.HasExited) script.Kill(entireProcessTree: true);
        }
        await reading.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";
}
