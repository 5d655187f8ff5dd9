using System.Globalization;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>`sweep up`: the one-machine cluster the README's main job runs, and its durable embedded storage.</summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class UpCommandTests
{
    private static string Port() => PostgresServer.FreePort().ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Up_runs_a_submitted_study_to_the_end_and_a_restarted_up_still_has_it()
    {
        using var dir = new TempDirectory();
        var study = dir.File("study.yaml", LocalCluster.SimulatedStudy("up", ["distilbert", "roberta"], trials: 6, maxParallel: 2, steps: 4, stepSeconds: 0.01));
        var data = Path.Combine(dir.Path, "data");
        var gateway = Port();
        var metrics = Port();
        string[] ports = ["--gateway-port", gateway, "--silo-port", Port(), "--metrics-port", metrics, "--data-dir", data];

        var (code, output, error) = await Sweep.Run(["up", "--workers", "2", "--submit", study, "--until-done", .. ports]);

        Assert.True(code == 0, $"exit {code}\n{error}\n{output}");
        Assert.Contains("SweepCluster is up", error);
        Assert.Contains("/metrics", error);
        Assert.Contains("12/12 trials finished", output);
        var studyId = output.Split('\n')[0].Trim();
        Assert.StartsWith("up-", studyId);
        // The live report pages on the metrics port: the index in the banner, the study's page once.
        Assert.Contains($"reports:   http://127.0.0.1:{metrics}/studies ", error);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(error, System.Text.RegularExpressions.Regex.Escape($"http://127.0.0.1:{metrics}/studies/{studyId}/report")));
        Assert.True(File.Exists(Path.Combine(data, "sweep.db")));
        // Following a study, the silo's and workers' logs go to files under the data folder, named once.
        var logs = Path.Combine(data, "logs");
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(error, "logs: "));
        Assert.Contains(Path.Combine(logs, "silo.log"), error);
        Assert.True(File.Exists(Path.Combine(logs, "silo.log")));
        foreach (var worker in new[] { 1, 2 })
            Assert.NotEqual("", File.ReadAllText(Path.Combine(logs, $"worker-{worker}.log"))); // trial progress, at info
        Assert.DoesNotContain(error.Split('\n'), l => l.StartsWith("[worker", StringComparison.Ordinal) && l.Contains(" info: ", StringComparison.Ordinal));

        // A second `sweep up` on the same data folder serves the finished study from disk.
        await using var again = ChildProcess.Start("up-again", ["up", "--workers", "0", .. ports]);
        await again.WaitForOutput("SweepCluster is up", 90);
        var status = await Sweep.Json("status", studyId, "--json", "--cluster", $"localhost:{gateway}");
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = await Sweep.Json("trials", studyId, "--format", "json", "--cluster", $"localhost:{gateway}");
        Assert.Equal(12, trials.GetArrayLength());
        Assert.Equal(0, await again.TerminateAsync());
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_stops_up_until_done_within_seconds_its_workers_release_their_trials_and_it_exits_130(string signal)
    {
        using var dir = new TempDirectory();
        // Slow trials (20 steps of 0.5 s), so two are running when the signal comes.
        var study = dir.File("study.yaml", LocalCluster.SimulatedStudy("stop", ["distilbert"], trials: 4, maxParallel: 2, steps: 20, stepSeconds: 0.5, pruner: "none"));
        var data = Path.Combine(dir.Path, "data");
        var gateway = Port();
        string[] ports = ["--gateway-port", gateway, "--silo-port", Port(), "--metrics-port", "0", "--data-dir", data];
        await using var up = ChildProcess.Start("up", ["up", "--workers", "2", "--submit", study, "--until-done", .. ports]);
        await up.WaitForOutput("SweepCluster is up", 90);
        var studyId = "";
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            studyId = up.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("stop-", StringComparison.Ordinal)) ?? "";
            if (studyId != "")
            {
                var running = (await Sweep.Json("trials", studyId, "--format", "json", "--cluster", $"localhost:{gateway}")).EnumerateArray()
                    .Count(t => t.GetProperty("status").GetString() == "running");
                if (running == 2) break;
            }
            Assert.True(DateTime.UtcNow < deadline, "two trials never ran at once:\n" + up.Output);
            await Task.Delay(300, TestContext.Current.CancellationToken);
        }
        var workerPids = (await Sweep.Json("workers", "--json", "--cluster", $"localhost:{gateway}")).EnumerateArray()
            .Select(w => w.GetProperty("info").GetProperty("process_id").GetInt32()).ToList();
        Assert.Equal(2, workerPids.Count);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var kill = System.Diagnostics.Process.Start("kill", [$"-{signal}", up.Id.ToString(CultureInfo.InvariantCulture)])) await kill!.WaitForExitAsync(TestContext.Current.CancellationToken);
        var code = await up.WaitForExitAsync(30);
        var stoppedIn = clock.Elapsed;
        // Workers release their running trial on the way out and the silo stops after them: "a few seconds".
        Assert.True(stoppedIn < TimeSpan.FromSeconds(10), $"up took {stoppedIn.TotalSeconds:0.0} s to stop after SIG{signal}:\n{up.Output}");
        Assert.Equal(130, code);
        Assert.Contains("stopping workers, then the silo", up.Output);
        foreach (var pid in workerPids) Assert.False(ProcessHygieneTests.Alive(pid), $"worker {pid} outlived `sweep up`");

        // The released trials wait for a worker again (none stays "running" on a dead worker's lease).
        await using var again = ChildProcess.Start("up-again", ["up", "--workers", "0", .. ports]);
        await again.WaitForOutput("SweepCluster is up", 90);
        var statuses = (await Sweep.Json("trials", studyId, "--format", "json", "--cluster", $"localhost:{gateway}")).EnumerateArray()
            .Select(t => t.GetProperty("status").GetString()).ToList();
        Assert.DoesNotContain("running", statuses);
        Assert.DoesNotContain("failed", statuses);
        Assert.Equal(0, await again.TerminateAsync());
    }

    [Fact]
    public async Task Cluster_verbs_without_a_cluster_fail_with_exit_1_and_say_where_they_looked()
    {
        var (code, _, error) = await Sweep.Run("status", "--cluster", $"localhost:{Port()}", "--connect-timeout", "1");
        Assert.Equal(1, code);
        Assert.Contains("no SweepCluster silo of cluster id 'sweep' answered at 127.0.0.1:", error);
        Assert.Contains("sweep up", error);
    }

    [Fact]
    public async Task Unknown_study_ids_are_usage_errors()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var (code, _, error) = await Sweep.Run("status", "nope", "--cluster", cluster.Address);
        Assert.Equal(2, code);
        Assert.Contains("no study 'nope'", error);
    }

    [Fact]
    public async Task Watch_follows_a_study_to_its_end_and_exits_3_when_it_was_cancelled()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        cluster.StartWorker("w1");
        var quick = await cluster.Submit(cluster.WriteStudy("quick", LocalCluster.SimulatedStudy("quick", ["distilbert"], trials: 3, maxParallel: 1, steps: 2, stepSeconds: 0.01)), "quick");
        var (code, output, error) = await Sweep.Run("watch", quick, "--interval", "0.2", "--cluster", cluster.Address);
        Assert.True(code == 0, $"watch exited {code}: {error}");
        Assert.Contains("finished 3/3", output);
        Assert.Contains("3/3 trials finished", output);

        var slow = await cluster.Submit(cluster.WriteStudy("slow", LocalCluster.SimulatedStudy("slow", ["distilbert"], trials: 50, maxParallel: 1, steps: 100, stepSeconds: 0.1)), "slow");
        var watch = Sweep.Run("watch", slow, "--interval", "0.2", "--cluster", cluster.Address);
        await cluster.WaitForTrial(slow, t => t.GetProperty("status").GetString() == "running", "running");
        Assert.Contains("slow: cancelled", await Sweep.Ok("cancel", slow, "--cluster", cluster.Address));
        var (watchCode, watchOutput, _) = await watch;
        Assert.Equal(3, watchCode);
        Assert.Contains("cancelled", watchOutput);
        var trials = await cluster.Trials(slow);
        Assert.Contains(trials.EnumerateArray(), t => t.GetProperty("status").GetString() == "cancelled");
    }

    [Fact]
    public async Task Submit_and_cancel_print_the_studys_status_as_json_when_asked()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var file = cluster.WriteStudy("json", LocalCluster.SimulatedStudy("json", ["distilbert", "roberta"], trials: 3, maxParallel: 1, steps: 2, stepSeconds: 0.01));

        // --check --json needs no cluster: the file's name, its study name and its size.
        var check = await Sweep.Json("submit", file, "--check", "--json");
        Assert.Equal((file, true, "json", 2, 6), (check.GetProperty("file").GetString(), check.GetProperty("ok").GetBoolean(),
            check.GetProperty("name").GetString(), check.GetProperty("backbones").GetInt32(), check.GetProperty("trials").GetInt32()));

        // No worker: the study stays running until it is cancelled.
        var submitted = await Sweep.Json("submit", file, "--id", "json-1", "--json", "--cluster", cluster.Address);
        Assert.Equal(("json-1", "running", 6), (submitted.GetProperty("study_id").GetString(), submitted.GetProperty("state").GetString(), submitted.GetProperty("budget").GetInt32()));
        Assert.Equal(["distilbert", "roberta"], submitted.GetProperty("backbones").EnumerateArray().Select(b => b.GetProperty("backbone").GetString()));

        var cancelled = await Sweep.Json("cancel", "json-1", "--json", "--cluster", cluster.Address);
        Assert.Equal(("json-1", "cancelled"), (cancelled.GetProperty("study_id").GetString(), cancelled.GetProperty("state").GetString()));
    }
}
