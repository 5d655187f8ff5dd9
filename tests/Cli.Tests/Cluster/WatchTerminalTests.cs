using Spectre.Console;
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
        await using var pty = PseudoTerminal.Start(columns, noColor, "watch", id, "--interval", "0.2", "--cluster", cluster.Address);
        await pty.WaitFor("0/8 trials finished");
        await Task.Delay(1000, TestContext.Current.CancellationToken); // a few refreshes

        var frame = pty.Output;
        Assert.Contains("\u001b[?25l", frame); // the live view hides the cursor while it redraws
        Assert.Contains("╭", frame); // the table, not the plain lines
        Assert.DoesNotContain("running 0/8", frame);
        if (noColor) Assert.DoesNotContain("\u001b[38;", frame);
        var pieces = PseudoTerminal.ScreenPieces(frame);
        Assert.All(pieces, l => Assert.True(l.Length <= columns, $"{l.Length} > {columns}: {l}"));
        if (columns >= 200) Assert.Contains(pieces, l => l.Length > 100); // uses the width it has

        // Ctrl-C as a person types it: the terminal turns ^C into SIGINT for watch.
        var clock = Stopwatch.StartNew();
        var code = await pty.CtrlC();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"watch took {clock.Elapsed.TotalSeconds:0.0} s to stop after Ctrl-C");
        Assert.Equal(130, code);
        Assert.Contains("\u001b[?25h", pty.Output); // cursor shown again
    }

    [Fact]
    public async Task The_live_view_shows_the_trials_running_now_with_fold_epoch_loss_and_ETA_within_100_columns()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        // Two folds of 30 steps of 0.3 s: trials run long enough to be seen mid-way.
        var study = cluster.WriteStudy("live", LocalCluster.SimulatedStudy("live", ["distilbert", "roberta"], trials: 4, maxParallel: 2, steps: 30, stepSeconds: 0.3, pruner: "none")
            .Replace("steps: 30,", "steps: 30, folds: 2,"));
        var id = await cluster.Submit(study, "live-1");
        cluster.StartWorker("w1");
        cluster.StartWorker("w2");
        await using var pty = PseudoTerminal.Start(100, noColor: false, "watch", id, "--interval", "0.3", "--cluster", cluster.Address);
        await pty.WaitFor("│ training");
        await Task.Delay(1500, TestContext.Current.CancellationToken); // a few epochs, so loss and ETA have values

        var frame = PseudoTerminal.ScreenPieces(pty.Output[pty.Output.LastIndexOf("running now", StringComparison.Ordinal)..]);
        foreach (var column in new[] { "trial", "stage", "fold", "epoch", "loss", "samples/s", "best", "ETA" })
            Assert.Contains(frame, l => l.Contains(column, StringComparison.Ordinal));
        // A row of a running trial: "distilbert/0 │ training │ 1/2 │ 3/30 │ 0.42 │ - │ 0.41 │ 27.0s" (loss and
        // best are the simulated curve's values; no throughput is simulated).
        Assert.Contains(frame, l => System.Text.RegularExpressions.Regex.IsMatch(l,
            @"(distilbert|roberta)/\d+ +│ training +│ +[12]/2 +│ +\d+/30 +│ +[-0-9.E]+ +│ +- +│ +[-0-9.E]+ +│ +[0-9.hms]+ *│"));
        Assert.All(PseudoTerminal.ScreenPieces(pty.Output), l => Assert.True(l.Length <= 100, $"{l.Length} > 100: {l}"));
        Assert.Equal(130, await pty.CtrlC());
    }

    [Fact]
    public async Task Up_until_done_in_a_terminal_shows_the_live_view_and_keeps_logs_in_files()
    {
        using var dir = new TempDirectory();
        var study = dir.File("study.yaml", LocalCluster.SimulatedStudy("pty", ["distilbert", "roberta"], trials: 6, maxParallel: 2, steps: 4, stepSeconds: 0.05));
        static string Port() => SweepCluster.Tests.Shared.PostgresServer.FreePort().ToString(CultureInfo.InvariantCulture);
        await using var pty = PseudoTerminal.Start(100, noColor: false, "up", "--workers", "2", "--submit", study, "--until-done",
            "--gateway-port", Port(), "--silo-port", Port(), "--metrics-port", Port(), "--data-dir", Path.Combine(dir.Path, "data"));
        var code = await pty.WaitForExit(180);
        var output = pty.Output;
        Assert.True(code == 0, $"exit {code}:\n{output}");
        Assert.Contains("\u001b[?25l", output); // live view
        Assert.Contains("12/12 trials finished", output);
        Assert.Contains(Path.Combine(dir.Path, "data", "logs", "silo.log"), output);
        Assert.DoesNotContain(" info: ", output); // worker and silo chatter stays in the files
        // The tables fit; the start-up banner's paths are as long as they are and the terminal wraps them.
        Assert.All(PseudoTerminal.ScreenPieces(output).Where(l => l.IndexOfAny(['│', '╭', '╰']) >= 0), l => Assert.True(l.Length <= 100, $"{l.Length} > 100: {l}"));
    }
}

/// <summary>
/// `sweep` on a pseudo-terminal of a given width, through util-linux `script`: stdout is a terminal, as in
/// a person's shell, and bytes written to its input are typed keys (^C raises SIGINT).
/// </summary>
internal sealed class PseudoTerminal : IAsyncDisposable
{
    private readonly Process _script;
    private readonly StringBuilder _output = new();
    private readonly Task _reading;

    private PseudoTerminal(Process script)
    {
        _script = script;
        _reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await script.StandardOutput.ReadAsync(buffer.AsMemory(), CancellationToken.None)) > 0) lock (_output) _output.Append(buffer, 0, n);
        });
    }

    /// <summary>Everything the terminal received so far, escape sequences included.</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static PseudoTerminal Start(int columns, bool noColor, params string[] args)
    {
        // Through perl, which restores SIGINT's default action (see ChildProcess.DefaultSignals).
        var sweep = string.Join(' ', new[] { "perl", "-e", ChildProcess.DefaultSignals, SweepProcess.DotnetHost(), Path.Combine(AppContext.BaseDirectory, "sweep.dll") }
            .Concat(args).Select(Quote));
        var start = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var a in new[] { "-q", "-e", "-c", $"stty cols {columns} rows 40; exec {sweep}", "/dev/null" }) start.ArgumentList.Add(a);
        start.Environment["TERM"] = "xterm-256color";
        if (noColor) start.Environment["NO_COLOR"] = "1";
        else start.Environment.Remove("NO_COLOR");
        start.Environment.Remove("COLUMNS");
        return new PseudoTerminal(Process.Start(start)!);
    }

    public async Task WaitFor(string text, double timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(_script.HasExited, $"ended before printing '{text}':\n{Output}");
            Assert.True(DateTime.UtcNow < deadline, $"no '{text}' after {timeoutSeconds} s:\n{Output}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Types <paramref name="keys"/> as a person would (a line ends with "\r", the Enter key).</summary>
    public async Task Type(string keys)
    {
        await _script.StandardInput.WriteAsync(keys);
        await _script.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>Types Ctrl-C and returns the exit code.</summary>
    public async Task<int> CtrlC()
    {
        await _script.StandardInput.WriteAsync('\u0003');
        await _script.StandardInput.FlushAsync(TestContext.Current.CancellationToken);
        return await WaitForExit(10);
    }

    public async Task<int> WaitForExit(double timeoutSeconds)
    {
        await _script.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(timeoutSeconds), TestContext.Current.CancellationToken);
        await _reading.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        return _script.ExitCode;
    }

    /// <summary>What lands on one screen line: text between line breaks and cursor movements.</summary>
    public static string[] ScreenPieces(string output) =>
        System.Text.RegularExpressions.Regex.Split(output, "\u001b(?:\\[[0-9;?]*[A-Za-z]|[=>])|\r?\n|\r");

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''") + "'";

    public ValueTask DisposeAsync()
    {
        if (!_script.HasExited) _script.Kill(entireProcessTree: true);
        _script.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The live view's per-trial figures, against values worked by hand.</summary>
public sealed class LiveViewTests
{
    private static readonly DateTime Now = new(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static SweepCluster.Contracts.Trials.TrialView Running(SweepCluster.Contracts.Trials.TrialProgress? progress, double[] values, string backbone = "bert") => new()
    {
        StudyId = "s", Backbone = backbone, Number = 3, Status = SweepCluster.Search.Sampling.TrialState.Running, Params = new Dictionary<string, object>(),
        InternalParams = new Dictionary<string, double>(), IntermediateValues = values.Select((v, i) => new SweepCluster.Contracts.Trials.StepValue(i + 1, v)).ToList(),
        StartedUtc = Now.AddSeconds(-10), Progress = progress,
    };

    [Fact]
    public void Eta_is_the_time_so_far_times_epochs_left_over_epochs_done()
    {
        // Fold 1 of 2 (0-based 0), epoch 1 of 4: 1 of 8 epochs done in 10 s, so 7 more take 70 s.
        var progress = new SweepCluster.Contracts.Trials.TrialProgress { Phase = "training", Fold = 0, Folds = 2, Epoch = 1, Epochs = 4 };
        Assert.Equal(TimeSpan.FromSeconds(70), SweepCluster.Cli.Terminal.LiveView.Eta(Running(progress, []), Now));
        // Second fold, epoch 2: 6 of 8 done in 10 s, so 2 more take 10 × 2/6 s.
        Assert.Equal(10.0 * 2 / 6, SweepCluster.Cli.Terminal.LiveView.Eta(Running(progress with { Fold = 1, Epoch = 2 }, []), Now)!.Value.TotalSeconds, 6); // TimeSpan keeps 100 ns ticks
        Assert.Null(SweepCluster.Cli.Terminal.LiveView.Eta(Running(progress with { Epoch = 0 }, []), Now)); // nothing done yet
        Assert.Null(SweepCluster.Cli.Terminal.LiveView.Eta(Running(null, []), Now));
    }

    [Fact]
    public void Best_so_far_follows_the_direction_and_stage_names_the_job()
    {
        var trial = Running(new SweepCluster.Contracts.Trials.TrialProgress { Phase = "training" }, [0.5, 0.3, double.NaN, 0.4]);
        Assert.Equal(0.3, SweepCluster.Cli.Terminal.LiveView.Best(trial, SweepCluster.Search.Sampling.StudyDirection.Minimize));
        Assert.Equal(0.5, SweepCluster.Cli.Terminal.LiveView.Best(trial, SweepCluster.Search.Sampling.StudyDirection.Maximize));
        Assert.Equal("training", SweepCluster.Cli.Terminal.LiveView.Stage(trial));
        Assert.Equal("final retrain: training", SweepCluster.Cli.Terminal.LiveView.Stage(trial with { Backbone = "bert", Kind = SweepCluster.Studies.JobKind.FinalRetrain }));
        Assert.Equal("ensemble", SweepCluster.Cli.Terminal.LiveView.Stage(trial with { Backbone = "", Kind = SweepCluster.Studies.JobKind.Ensemble, Progress = null }));
    }
}

/// <summary>The live view redrawn in place: a small cursor model of what Spectre's live display writes.</summary>
public sealed class LiveViewRedrawTests
{
    private static SweepCluster.Contracts.Studies.StudyStatus Status(int complete) => new()
    {
        StudyId = "redraw", Name = "redraw", State = SweepCluster.Contracts.Studies.StudyState.Running, Metric = "loss",
        Direction = SweepCluster.Search.Sampling.StudyDirection.Minimize,
        Backbones =
        [
            new SweepCluster.Contracts.Studies.BackboneStatus
            {
                Backbone = "bert", Budget = 8, BestValue = 0.4, BestParams = new Dictionary<string, object> { ["lr"] = 0.01 },
                Counts = new Dictionary<SweepCluster.Search.Sampling.TrialState, int>
                {
                    [SweepCluster.Search.Sampling.TrialState.Complete] = complete, [SweepCluster.Search.Sampling.TrialState.Waiting] = 8 - complete,
                },
            },
        ],
    };

    [Theory]
    [InlineData(80)]
    [InlineData(100)]
    [InlineData(200)]
    public async Task Each_redraw_starts_where_the_first_frame_started(int width)
    {
        var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Ansi = Spectre.Console.AnsiSupport.Yes, ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
            Interactive = Spectre.Console.InteractionSupport.Yes, Out = new Spectre.Console.AnsiConsoleOutput(output),
        });
        console.Profile.Width = width;
        console.Profile.Height = 60;
        await console.Live(SweepCluster.Cli.Terminal.LiveView.Frame(Status(1))).StartAsync(async live =>
        {
            for (var k = 2; k <= 5; k++)
            {
                live.UpdateTarget(SweepCluster.Cli.Terminal.LiveView.Frame(Status(k)));
                live.Refresh();
                await Task.Yield();
            }
        });

        // Replay: text moves the cursor down one row per line break, ESC[nA up n rows, ESC[nF / ESC[nE as documented
        // (VT100/ECMA-48). Every frame must start on row 0, so the study's title is drawn on row 0 only.
        var screen = new Dictionary<int, System.Text.StringBuilder>();
        var row = 0;
        var text = output.ToString();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\u001b' && i + 1 < text.Length && text[i + 1] == '[')
            {
                var j = i + 2;
                while (j < text.Length && !char.IsLetter(text[j])) j++;
                var argument = text[(i + 2)..j];
                var n = int.TryParse(argument, out var v) ? v : 1;
                switch (text[j])
                {
                    case 'A': case 'F': row -= n; break;
                    case 'B': case 'E': row += n; break;
                    case 'K': if (screen.TryGetValue(row, out var line)) line.Clear(); break;
                }
                i = j;
                continue;
            }
            if (text[i] == '\n') { row++; continue; }
            if (text[i] == '\r') continue;
            if (!screen.TryGetValue(row, out var current)) screen[row] = current = new System.Text.StringBuilder();
            current.Append(text[i]);
        }
        var titleRows = screen.Where(r => r.Value.ToString().Contains("redraw · running")).Select(r => r.Key).ToList();
        Assert.Equal([0], titleRows);
    }
}
