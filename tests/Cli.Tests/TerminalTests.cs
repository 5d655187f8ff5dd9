using SweepCluster.Cli.Rendering;
using Spectre.Console;
using SweepCluster.Cli.Cluster;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Tests;

/// <summary>Terminal detection, unknown options and tables that fit the terminal, in-process.</summary>
public sealed class TerminalTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Redirected_output_is_plain_and_uncoloured_at_the_plain_width_or_COLUMNS()
    {
        var piped = TerminalInfo.Detect(outputRedirected: true, Env(), () => 100);
        Assert.False(piped.IsTerminal);
        Assert.False(piped.Color);
        Assert.Equal(TerminalInfo.PlainWidth, piped.Width);
        Assert.Equal(120, TerminalInfo.Detect(true, Env(("COLUMNS", "120")), () => 100).Width);
    }

    [Fact]
    public void A_terminal_has_colour_and_its_own_width_unless_NO_COLOR_or_TERM_dumb()
    {
        var width = 100;
        var terminal = TerminalInfo.Detect(outputRedirected: false, Env(("COLUMNS", "150")), () => width);
        Assert.True(terminal.IsTerminal);
        Assert.True(terminal.Color);
        Assert.Equal(100, terminal.Width);
        width = 73; // resized while running
        Assert.Equal(73, terminal.Width);
        Assert.False(TerminalInfo.Detect(false, Env(("NO_COLOR", "1")), () => 100).Color);
        Assert.True(TerminalInfo.Detect(false, Env(("NO_COLOR", "")), () => 100).Color); // no-color.org: empty means unset
        Assert.False(TerminalInfo.Detect(false, Env(("TERM", "dumb")), () => 100).Color);
        Assert.Equal(80, TerminalInfo.Detect(false, Env(), () => 0).Width); // an unsized pseudo-terminal
    }

    [Theory]
    [InlineData(new[] { "status", "--jsn" }, "--json")]
    [InlineData(new[] { "status", "some-study", "--jsn" }, "--json")]
    [InlineData(new[] { "watch", "s", "--intervl", "2" }, "--interval")]
    [InlineData(new[] { "trials", "s", "--fromat", "csv" }, "--format")]
    [InlineData(new[] { "status", "--clustr=localhost" }, "--cluster")]
    public void An_unknown_option_is_a_usage_error_naming_the_nearest_option(string[] args, string suggestion)
    {
        var (code, output, error) = Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("", output);
        Assert.Contains($"unknown option '{args.First(a => a.StartsWith("--", StringComparison.Ordinal)).Split('=')[0]}'; did you mean '{suggestion}'?", error);
    }

    [Fact]
    public void An_option_like_nothing_known_gets_no_suggestion_and_words_after_the_separator_are_arguments()
    {
        var (code, _, error) = Run(["status", "--zzzzzzzz"]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("unknown option '--zzzzzzzz'", error);
        Assert.DoesNotContain("did you mean", error);
        var parse = SweepCli.BuildRootCommand(new CliIO(TextReader.Null, TextWriter.Null, TextWriter.Null)).Parse(["status", "--", "--odd-id"]);
        Assert.Empty(SweepCli.UnknownOptions(parse, ["status", "--", "--odd-id"]));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(80)]
    [InlineData(60)]
    [InlineData(120)]
    [InlineData(200)]
    public void The_status_table_fits_the_terminal_width_and_keeps_every_value(int width)
    {
        var output = new StringWriter();
        StudyRendering.Console(output, TerminalInfo.Fixed(width, color: false)).Write(StudyRendering.StatusTable(WideStatus()));
        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        Assert.DoesNotContain("…", output.ToString()); // no header or cell shortened with an ellipsis
        // Wrapped, never cut: every parameter's value is somewhere in the table (cells may break within a word).
        var text = string.Concat(lines.Select(l => new string(l.Where(c => !"│╭╮╰╯─┬┴┼├┤ ".Contains(c)).ToArray())));
        foreach (var fragment in new[] { "learning_rate=3.142E-05", "weight_decay=0.01235", "warmup_ratio=0.06", "deberta-v3-small-with-a-long-name", "0.41235" })
            Assert.True(text.Contains(fragment, StringComparison.Ordinal), $"'{fragment}' missing from:\n{output}");
    }

    [Theory]
    [InlineData(100)]
    [InlineData(200)]
    public void After_a_cancel_the_counts_add_up_to_the_finished_trials(int width)
    {
        // 12 complete + 3 pruned + 5 cancelled = 20 finished of 30; the 5 need a column of their own.
        var cancelled = WideStatus() with
        {
            State = StudyState.Cancelled,
            Backbones = [WideStatus().Backbones[0] with { Counts = new Dictionary<TrialState, int> { [TrialState.Complete] = 12, [TrialState.Pruned] = 3, [TrialState.Cancelled] = 5 } }],
        };
        var output = new StringWriter();
        StudyRendering.Console(output, TerminalInfo.Fixed(width, color: false)).Write(StudyRendering.StatusTable(cancelled));
        var lines = output.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        var header = lines.First(l => l.Contains("complete"));
        Assert.Contains("cancelled", header);
        var row = lines[lines.FindIndex(l => l.StartsWith('├')) + 1]; // the backbone's first line (its cells may wrap below)
        var cells = row.Split('│', StringSplitOptions.TrimEntries);
        var columns = header.Split('│', StringSplitOptions.TrimEntries);
        Assert.Equal("5", cells[Array.IndexOf(columns, "cancelled")]);
        // Without cancelled trials the column stays away.
        var running = new StringWriter();
        StudyRendering.Console(running, TerminalInfo.Fixed(width, color: false)).Write(StudyRendering.StatusTable(WideStatus()));
        Assert.DoesNotContain("cancelled", running.ToString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("0.05")]
    public void Watch_refuses_an_interval_that_would_poll_without_pause(string seconds)
    {
        var (code, _, error) = Run(["watch", "some-study", "--interval", seconds]);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--interval must be at least 0.1 seconds", error);
    }

    [Theory]
    [InlineData(new[] { "retry", "s", "--trial", "abc", "--backbone", "b" }, "as an integer")]
    [InlineData(new[] { "watch", "s", "--interval", "abc" }, "as a number")]
    public void A_value_of_the_wrong_kind_is_named_in_words_not_as_a_dotnet_type(string[] args, string words)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(words, error);
        Assert.DoesNotContain("System.", error);
    }

    [Fact]
    public void Colour_is_written_only_to_a_colour_terminal()
    {
        var coloured = new StringWriter();
        StudyRendering.Console(coloured, TerminalInfo.Fixed(100, color: true)).Markup("[red]x[/]");
        Assert.Contains("\u001b[", coloured.ToString());
        foreach (var plain in new[] { TerminalInfo.Fixed(100, color: false), TerminalInfo.Plain })
        {
            var output = new StringWriter();
            StudyRendering.Console(output, plain).Markup("[red]x[/]");
            Assert.DoesNotContain("\u001b[", output.ToString());
        }
    }

    [Theory]
    [InlineData("12:00:01 info: SweepCluster.Worker[0] trial 3 epoch 2 loss 0.41", false)]
    [InlineData("12:00:01 dbug: Orleans.Runtime[0] connected", false)]
    [InlineData("12:00:01 warn: SweepCluster.Worker[0] lease lost", true)]
    [InlineData("12:00:01 fail: SweepCluster.Worker[0] trial 3 failed", true)]
    [InlineData("12:00:01 crit: SweepCluster.Worker[0] out of memory", true)]
    [InlineData("Unhandled exception. System.InvalidOperationException: x", true)]
    [InlineData("epoch 2/3 batch 40", false)]
    public void With_logs_in_files_only_warnings_and_errors_of_a_worker_reach_the_screen(string line, bool shown) =>
        Assert.Equal(shown, WorkerProcesses.ShowsOnScreen(line));

    private static StudyStatus WideStatus() => new()
    {
        StudyId = "sst2-20261201-0102", Name = "sst2", State = StudyState.Running, Metric = "accuracy", Direction = StudyDirection.Maximize,
        Backbones =
        [
            new BackboneStatus
            {
                Backbone = "deberta-v3-small-with-a-long-name", Budget = 30,
                Counts = new Dictionary<TrialState, int> { [TrialState.Complete] = 12, [TrialState.Running] = 2, [TrialState.Pruned] = 3 },
                BestValue = 0.412345, BestTrial = 7,
                BestParams = new Dictionary<string, object>
                {
                    ["learning_rate"] = 3.1416e-5, ["weight_decay"] = 0.012345, ["warmup_ratio"] = 0.06, ["batch_size"] = 32L, ["layer_decay"] = 0.85,
                },
            },
        ],
    };

    private static (int Code, string Out, string Error) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = SweepCli.Run(args, new CliIO(new StringReader(""), output, error));
        return (code, output.ToString(), error.ToString());
    }
}
