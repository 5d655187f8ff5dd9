using System.Globalization;
using System.Text.Json;

namespace SweepCluster.Cli.Tests;

/// <summary>End to end: the built <c>sweep</c> binary driven over real pipes.</summary>
public class SweepBinaryTests
{
    private static string[] ServeArgs(string space, params string[] extra) =>
    [
        "sampler", "serve", "--space", space, "--sampler", "tpe", "--seed", "11", "--n-startup-trials", "3",
        "--pruner", "median", "--pruner-startup-trials", "1", .. extra,
    ];

    /// <summary>Five trials: four reported and told, the last left running (it shapes TPE's constant liar).</summary>
    private static async Task RunFirstPhaseAsync(SweepProcess sweep)
    {
        for (var i = 0; i < 5; i++)
        {
            var asked = await sweep.RequestJsonAsync("""{"op":"ask"}""");
            Assert.Equal(i, asked.GetProperty("trial").GetInt32());
            if (i == 4) break;
            var value = TestSpaces.Objective(asked.GetProperty("params")).ToString("R", CultureInfo.InvariantCulture);
            await sweep.RequestJsonAsync($$"""{"op":"report","trial":{{i}},"step":1,"value":{{value}}}""");
            Assert.Equal("""{"ok":true}""", await sweep.RequestAsync($$"""{"op":"tell","trial":{{i}},"value":{{value}}}"""));
        }
    }

    private static async Task<List<string>> AskAsync(SweepProcess sweep, int count)
    {
        var answers = new List<string>();
        for (var i = 0; i < count; i++) answers.Add(await sweep.RequestAsync("""{"op":"ask"}"""));
        return answers;
    }

    [Fact]
    public async Task A_restarted_server_with_state_asks_exactly_what_an_uninterrupted_one_would()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        var state = dir.File("state.json");

        List<string> expected;
        using (var uninterrupted = SweepProcess.Start(dir.Path, ServeArgs(space)))
        {
            await RunFirstPhaseAsync(uninterrupted);
            expected = await AskAsync(uninterrupted, 3);
            Assert.Equal((0, "", ""), (await uninterrupted.EndAsync()) with { Error = "" });
        }

        using (var first = SweepProcess.Start(dir.Path, ServeArgs(space, "--state", state)))
        {
            await RunFirstPhaseAsync(first);
            var (exitCode, remaining, error) = await first.EndAsync();
            Assert.Equal(ExitCodes.Ok, exitCode);
            Assert.Equal("", remaining);
            Assert.Contains("0 trials so far", error);
        }
        Assert.True(File.Exists(state));
        Assert.False(File.Exists(state + ".tmp"));
        Assert.False(File.Exists(state + ".lock"));

        using var restarted = SweepProcess.Start(dir.Path, ServeArgs(space, "--state", state));
        Assert.Equal(expected, await AskAsync(restarted, 3));
        // The trial left running before the restart can still be finished.
        Assert.Equal("""{"ok":true}""", await restarted.RequestAsync("""{"op":"tell","trial":4,"state":"pruned"}"""));
        var trials = (await restarted.RequestJsonAsync("""{"op":"trials"}""")).GetProperty("trials");
        Assert.Equal(8, trials.GetArrayLength());
        Assert.Equal("pruned", trials[4].GetProperty("state").GetString());
        var ended = await restarted.EndAsync();
        Assert.Equal(ExitCodes.Ok, ended.ExitCode);
        Assert.Contains("5 trials so far", ended.Error);
    }

    [Fact]
    public async Task Bad_requests_are_answered_over_the_pipe_and_the_server_keeps_serving()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", TestSpaces.Mixed);
        using var sweep = SweepProcess.Start(dir.Path, ServeArgs(space));
        Assert.Contains("not valid JSON", (await sweep.RequestJsonAsync("hello")).GetProperty("error").GetString());
        Assert.Contains("unknown trial 3", (await sweep.RequestJsonAsync("""{"op":"tell","trial":3,"value":1}""")).GetProperty("error").GetString());
        Assert.Equal(0, (await sweep.RequestJsonAsync("""{"op":"ask"}""")).GetProperty("trial").GetInt32());
        var (exitCode, remaining, _) = await sweep.EndAsync();
        Assert.Equal(ExitCodes.Ok, exitCode);
        Assert.Equal("", remaining);
    }

    [Fact]
    public async Task A_bad_space_file_exits_2_with_the_parameter_named_on_stderr()
    {
        using var dir = new TempDirectory();
        var space = dir.File("space.json", """{"bs":{"type":"categorical","choices":[16,16.0]}}""");
        using var sweep = SweepProcess.Start(dir.Path, ServeArgs(space));
        var (exitCode, output, error) = await sweep.EndAsync();
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Equal("", output);
        Assert.Contains("parameter 'bs'", error);
        Assert.Contains("listed twice", error);
    }
}
