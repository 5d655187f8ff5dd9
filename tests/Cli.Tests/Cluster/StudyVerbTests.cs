using System.Globalization;
using System.Text.Json;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// `sweep enqueue`, `sweep retry` and `sweep delete` end to end: real `sweep` processes against a real
/// silo (SQLite storage) and simulated workers.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class StudyVerbTests
{
    /// <summary>A space with every kind of parameter and a condition: optimizer picks whether momentum applies.</summary>
    private static string MixedStudy(string name, int trials, double failureRate = 0) => $$"""
        name: {{name}}
        seed: 7
        data: {train: unused.csv}
        objective: {metric: loss, direction: minimize}
        budget: {trials_per_backbone: {{trials}}, max_parallel: 2}
        pruner: {kind: none}
        workload: {kind: simulated, curve_family: crossing, steps: 3, step_seconds: 0.01, failure_rate: {{failureRate.ToString(CultureInfo.InvariantCulture)}}}
        search_space:
          lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
          layers: {type: int, low: 1, high: 4}
          optimizer: {type: categorical, choices: [adamw, sgd]}
          momentum: {type: float, low: 0.0, high: 0.99, when: {optimizer: [sgd]} }
        backbones:
          - {name: distilbert, family: distilbert}
        """;

    private static JsonElement Trial(JsonElement trials, int number) => trials.EnumerateArray().Single(t => t.GetProperty("number").GetInt32() == number);

    [Fact]
    public async Task Enqueued_parameters_are_those_the_first_trial_runs_with_and_survive_a_silo_restart()
    {
        await using var cluster = new LocalCluster();
        var silo = await cluster.StartSilo();
        var id = await cluster.Submit(cluster.WriteStudy("enq", MixedStudy("enq", trials: 4)), "enq-1");
        // No worker yet: submit created max_parallel = 2 sampled trials (0 and 1), waiting.
        Assert.Equal(2, (await cluster.Trials(id)).GetArrayLength());

        var enqueued = await Sweep.Json("enqueue", id, "--params", "lr=0.001,optimizer=sgd,momentum=0.5", "--json", "--cluster", cluster.Address);
        var trial = Assert.Single(enqueued.EnumerateArray());
        Assert.Equal(2, trial.GetProperty("number").GetInt32()); // the next trial asked
        Assert.Equal("enqueued", trial.GetProperty("origin").GetString());
        var parameters = trial.GetProperty("params");
        Assert.Equal(0.001, parameters.GetProperty("lr").GetDouble());
        Assert.Equal("sgd", parameters.GetProperty("optimizer").GetString());
        Assert.Equal(0.5, parameters.GetProperty("momentum").GetDouble());
        Assert.InRange(parameters.GetProperty("layers").GetInt64(), 1, 4); // not given: sampled in its range

        // The silo goes down and comes back on the same storage and port: the trial is still there, as enqueued.
        var gateway = cluster.Silos[0].GatewayPort;
        Assert.Equal(0, await silo.TerminateAsync());
        await cluster.StartSilo(gatewayPort: gateway);
        var after = Trial(await cluster.Trials(id), 2);
        Assert.Equal("enqueued", after.GetProperty("origin").GetString());
        Assert.Equal(0.001, after.GetProperty("params").GetProperty("lr").GetDouble());

        // One worker: the first trial it runs is the enqueued one, though trials 0 and 1 were queued before it.
        cluster.StartWorker("w1");
        await cluster.WaitUntilFinished(id);
        var trials = await cluster.Trials(id);
        Assert.Equal(4, trials.GetArrayLength()); // it took the place of a sampled trial: the budget stays 4
        var first = trials.EnumerateArray().OrderBy(t => t.GetProperty("started_utc").GetDateTime()).First();
        Assert.Equal(2, first.GetProperty("number").GetInt32());
        Assert.Equal(0.001, first.GetProperty("params").GetProperty("lr").GetDouble());
        Assert.Equal("complete", first.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("nope=1", "parameter 'nope'", "not in the search space")]
    [InlineData("lr=0.5", "parameter 'lr'", "outside [1E-05, 0.1]")]
    [InlineData("lr=fast", "parameter 'lr'", "not a number")]
    [InlineData("layers=2.5", "parameter 'layers'", "not an integer")]
    [InlineData("layers=9", "parameter 'layers'", "outside [1, 4]")]
    [InlineData("optimizer=adam", "parameter 'optimizer'", "not one of the choices [adamw, sgd]")]
    [InlineData("optimizer=adamw,momentum=0.9", "parameter 'momentum'", "only when optimizer is one of [sgd], not adamw")]
    [InlineData("momentum=0.9", "parameter 'momentum'", "give optimizer too")]
    [InlineData("lr", "--params", "not NAME=VALUE")]
    public async Task Enqueue_refuses_a_value_that_does_not_fit_naming_the_parameter_with_exit_2_and_stores_nothing(string values, string names, string problem)
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var id = await cluster.Submit(cluster.WriteStudy("bad", MixedStudy("bad", trials: 4)), "bad-1");

        var (code, output, error) = await Sweep.Run("enqueue", id, "--params", values, "--cluster", cluster.Address);

        Assert.True(code == 2, $"exit {code}\n{error}\n{output}");
        Assert.Contains(names, error);
        Assert.Contains(problem, error);
        Assert.Equal(2, (await cluster.Trials(id)).GetArrayLength());
        // An unknown backbone is refused the same way.
        var (code2, _, error2) = await Sweep.Run("enqueue", id, "--params", "lr=0.001", "--backbone", "bert", "--cluster", cluster.Address);
        Assert.Equal(2, code2);
        Assert.Contains("no backbone 'bert'", error2);
    }

    [Fact]
    public async Task Retry_failed_runs_each_failed_trial_again_with_its_parameters_once_and_reopens_the_study()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        // failure_rate 1: every simulated attempt fails, so the retries fail too and stay countable.
        var id = await cluster.Submit(cluster.WriteStudy("retry", MixedStudy("retry", trials: 2, failureRate: 1)), "retry-1");
        cluster.StartWorker("w1");
        Assert.Equal("finished", (await cluster.WaitUntilFinished(id)).GetProperty("state").GetString());
        var before = await cluster.Trials(id);
        Assert.All(before.EnumerateArray(), t => Assert.Equal("failed", t.GetProperty("status").GetString()));

        var retried = await Sweep.Json("retry", id, "--failed", "--json", "--cluster", cluster.Address);
        Assert.Equal(["retry of 0", "retry of 1"], retried.EnumerateArray().Select(t => t.GetProperty("origin").GetString()).Order().ToArray());
        foreach (var t in retried.EnumerateArray())
        {
            var source = Trial(before, int.Parse(t.GetProperty("origin").GetString()!["retry of ".Length..], CultureInfo.InvariantCulture));
            Assert.Equal(source.GetProperty("params").GetRawText(), t.GetProperty("params").GetRawText());
            Assert.True(t.GetProperty("number").GetInt32() >= 2);
        }
        var status = await cluster.WaitUntilFinished(id);
        Assert.Equal(4, status.GetProperty("backbones")[0].GetProperty("budget").GetInt32()); // 2 + 2 retries, on top
        var after = await cluster.Trials(id);
        Assert.Equal(4, after.GetArrayLength());
        Assert.All(after.EnumerateArray(), t => Assert.Equal(1, t.GetProperty("attempts").GetInt32())); // each ran

        // Again: trials 0 and 1 have their retries, so only 2 and 3 come back.
        var again = await Sweep.Json("retry", id, "--failed", "--json", "--cluster", cluster.Address);
        Assert.Equal(["retry of 2", "retry of 3"], again.EnumerateArray().Select(t => t.GetProperty("origin").GetString()).Order().ToArray());

        Assert.Equal(2, (await Sweep.Run("retry", id, "--cluster", cluster.Address)).ExitCode); // neither --failed nor --trial
        Assert.Equal(2, (await Sweep.Run("retry", id, "--failed", "--trial", "0", "--cluster", cluster.Address)).ExitCode);
        var (code, _, error) = await Sweep.Run("retry", id, "--trial", "99", "--cluster", cluster.Address);
        Assert.Equal(2, code);
        Assert.Contains("no trial 99", error);
    }

    [Fact]
    public async Task Delete_needs_yes_without_a_terminal_keeps_artifacts_unless_asked_and_refuses_while_trials_run()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var data = Path.Combine(cluster.Directory, "data");
        var a = await cluster.Submit(cluster.WriteStudy("a", MixedStudy("a", trials: 2)), "del-a");
        var b = await cluster.Submit(cluster.WriteStudy("b", MixedStudy("b", trials: 2)), "del-b");
        foreach (var id in new[] { a, b })
        {
            Directory.CreateDirectory(Path.Combine(data, "artifacts", id));
            File.WriteAllText(Path.Combine(data, "artifacts", id, "report.html"), "<html></html>");
        }

        // stdin is not a terminal and no --yes: nothing is deleted.
        var (code, _, error) = await Sweep.Run("delete", a, "--data-dir", data, "--cluster", cluster.Address);
        Assert.Equal(2, code);
        Assert.Contains("--yes", error);
        Assert.Equal("running", (await cluster.Status(a)).GetProperty("state").GetString());

        var deleted = await Sweep.Ok("delete", a, "--yes", "--data-dir", data, "--cluster", cluster.Address);
        Assert.Contains($"deleted study {a}", deleted);
        Assert.Contains("kept its artifacts", deleted);
        Assert.True(File.Exists(Path.Combine(data, "artifacts", a, "report.html")));
        Assert.Equal(2, (await Sweep.Run("status", a, "--cluster", cluster.Address)).ExitCode); // no such study
        var list = await Sweep.Json("status", "--json", "--cluster", cluster.Address);
        Assert.DoesNotContain(list.EnumerateArray(), s => s.GetProperty("study_id").GetString() == a);
        Assert.Contains(list.EnumerateArray(), s => s.GetProperty("study_id").GetString() == b);

        // The study is gone but its artifacts stayed: `delete --artifacts` removes what is left; without it, no such study.
        Assert.Equal(2, (await Sweep.Run("delete", a, "--yes", "--data-dir", data, "--cluster", cluster.Address)).ExitCode);
        var leftovers = await Sweep.Ok("delete", a, "--yes", "--artifacts", "--data-dir", data, "--cluster", cluster.Address);
        Assert.Contains($"no study {a} in the cluster; deleted its leftover artifacts", leftovers);
        Assert.False(Directory.Exists(Path.Combine(data, "artifacts", a)));
        Assert.Equal(2, (await Sweep.Run("delete", a, "--yes", "--artifacts", "--data-dir", data, "--cluster", cluster.Address)).ExitCode); // nothing left

        var json = await Sweep.Json("delete", b, "--yes", "--artifacts", "--json", "--data-dir", data, "--cluster", cluster.Address);
        Assert.Equal(b, json.GetProperty("deleted").GetString());
        Assert.True(json.GetProperty("artifacts_deleted").GetBoolean());
        Assert.False(Directory.Exists(Path.Combine(data, "artifacts", b)));

        // A trial running: refused (exit 6, nothing changed) unless --force.
        var slow = await cluster.Submit(cluster.WriteStudy("slow", LocalCluster.SimulatedStudy("slow", ["distilbert"], trials: 2, maxParallel: 1, steps: 40, stepSeconds: 0.5, pruner: "none")), "del-slow");
        cluster.StartWorker("w1");
        await cluster.WaitForTrial(slow, t => t.GetProperty("status").GetString() == "running", "running");
        var (refused, _, why) = await Sweep.Run("delete", slow, "--yes", "--cluster", cluster.Address);
        Assert.Equal(6, refused); // ExitCodes.Refused: the study refuses in its state, distinct from a dead cluster (1)
        Assert.Contains("running", why);
        Assert.Contains("--force", why);
        Assert.Equal("running", (await cluster.Status(slow)).GetProperty("state").GetString());
        // Cancelled while running, the study refuses more trials: exit 6 (ExitCodes.Refused) from retry and enqueue.
        await Sweep.Ok("cancel", slow, "--cluster", cluster.Address);
        var (refusedRetry, _, whyRetry) = await Sweep.Run("retry", slow, "--failed", "--cluster", cluster.Address);
        Assert.Equal(6, refusedRetry);
        Assert.Contains("cancelled", whyRetry);
        Assert.Equal(6, (await Sweep.Run("enqueue", slow, "--params", "lr=0.001", "--cluster", cluster.Address)).ExitCode);
        await Sweep.Ok("delete", slow, "--yes", "--force", "--cluster", cluster.Address);
        Assert.Equal(2, (await Sweep.Run("status", slow, "--cluster", cluster.Address)).ExitCode);
    }

    [Fact]
    public async Task On_a_terminal_delete_asks_and_only_y_deletes()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var id = await cluster.Submit(cluster.WriteStudy("ask", MixedStudy("ask", trials: 2)), "ask-1");

        await using (var no = PseudoTerminal.Start(100, noColor: true, "delete", id, "--cluster", cluster.Address))
        {
            await no.WaitFor("[y/N]");
            await no.Type("\r"); // Enter alone: the default, no
            Assert.Equal(5, await no.WaitForExit(30));
        }
        Assert.Equal("running", (await cluster.Status(id)).GetProperty("state").GetString());

        await using var yes = PseudoTerminal.Start(100, noColor: true, "delete", id, "--cluster", cluster.Address);
        await yes.WaitFor("[y/N]");
        await yes.Type("y\r");
        Assert.Equal(0, await yes.WaitForExit(30));
        Assert.Contains($"deleted study {id}", yes.Output);
        Assert.Equal(2, (await Sweep.Run("status", id, "--cluster", cluster.Address)).ExitCode);
    }
}
