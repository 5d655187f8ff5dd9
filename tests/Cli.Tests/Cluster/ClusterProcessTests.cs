using System.Text.Json;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// Whole studies over real processes: a silo (`sweep silo`, embedded SQLite storage) and simulated
/// workers (`sweep worker --simulated`), driven and inspected with the CLI like a user would.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ClusterProcessTests
{
    private static IEnumerable<JsonElement> Of(JsonElement trials, string status) =>
        trials.EnumerateArray().Where(t => t.GetProperty("status").GetString() == status);

    private static void AssertEachTrialOnce(JsonElement trials, string[] backbones, int perBackbone)
    {
        foreach (var b in backbones)
        {
            var numbers = trials.EnumerateArray().Where(t => t.GetProperty("backbone").GetString() == b).Select(t => t.GetProperty("number").GetInt32()).Order().ToList();
            Assert.Equal(Enumerable.Range(0, perBackbone), numbers);
        }
    }

    [Fact]
    public async Task Three_backbones_by_thirty_trials_on_four_workers_finish_with_median_pruning()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        for (var i = 0; i < 4; i++) cluster.StartWorker($"w{i}");
        string[] backbones = ["distilbert", "roberta", "electra"];
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("three", backbones, trials: 30, maxParallel: 4, steps: 10, stepSeconds: 0.01));
        var id = await cluster.Submit(file, "three");
        Assert.Equal("three", id);

        var status = await cluster.WaitUntilFinished(id, 240);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = await cluster.Trials(id);
        Assert.Equal(90, trials.GetArrayLength());
        AssertEachTrialOnce(trials, backbones, 30);
        Assert.Empty(Of(trials, "failed"));
        Assert.Equal(90, Of(trials, "complete").Count() + Of(trials, "pruned").Count());
        Assert.True(Of(trials, "pruned").Count() >= 5, $"median pruning should stop some of 90 crossing curves; pruned {Of(trials, "pruned").Count()}");

        // `sweep best` agrees with the best completed trial of each backbone.
        var best = await Sweep.Json("best", id, "--json", "--cluster", cluster.Address);
        foreach (var b in backbones)
        {
            var expected = Of(trials, "complete").Where(t => t.GetProperty("backbone").GetString() == b).Min(t => t.GetProperty("value").GetDouble());
            var reported = best.EnumerateArray().Single(x => x.GetProperty("backbone").GetString() == b).GetProperty("value").GetDouble();
            Assert.Equal(expected, reported);
        }
        // Pruning stops trials early: at most the 10 steps reported, usually fewer.
        var reportsOfPruned = Of(trials, "pruned").Select(t => t.GetProperty("intermediate_values").EnumerateObject().Count()).ToList();
        Assert.All(reportsOfPruned, n => Assert.InRange(n, 1, 10));
        Assert.True(reportsOfPruned.Average() < 9, $"pruned trials reported {reportsOfPruned.Average():0.0} steps on average");
    }

    [Fact]
    public async Task A_worker_killed_mid_trial_loses_its_lease_and_the_trial_completes_exactly_once()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var victim = cluster.StartWorker("victim");
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("kill", ["distilbert"], trials: 6, maxParallel: 2, steps: 20, stepSeconds: 0.3, pruner: "none", leaseSeconds: 2));
        var id = await cluster.Submit(file, "kill-worker");

        // Early in its trial (at most 5 of 20 reports, so seconds remain), or on a loaded machine the kill
        // could land after the victim had already completed it.
        var running = await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "running" && t.GetProperty("lease_owner").GetString() == "victim"
            && t.GetProperty("intermediate_values").EnumerateObject().Count() <= 5, "early in a trial on the victim");
        victim.KillHard();
        cluster.StartWorker("survivor");

        await cluster.WaitUntilFinished(id);
        var trials = await cluster.Trials(id);
        AssertEachTrialOnce(trials, ["distilbert"], 6);
        Assert.Equal(6, Of(trials, "complete").Count());
        var retried = trials.EnumerateArray().Single(t => t.GetProperty("number").GetInt32() == running.GetProperty("number").GetInt32());
        Assert.Equal("complete", retried.GetProperty("status").GetString());
        Assert.True(retried.GetProperty("attempts").GetInt32() >= 2, "the killed worker's trial should have been leased again");
        Assert.Equal(20, retried.GetProperty("intermediate_values").EnumerateObject().Count());
    }

    [Fact]
    public async Task A_worker_stopped_with_sigterm_releases_its_trial_at_once()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var worker = cluster.StartWorker("leaving");
        // A 120 s lease: only the release, not an expiry, can put the trial back in the queue quickly.
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("sigterm", ["distilbert"], trials: 1, maxParallel: 1, steps: 50, stepSeconds: 0.2, pruner: "none", leaseSeconds: 120));
        var id = await cluster.Submit(file, "sigterm");
        await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "running", "running");

        Assert.Equal(0, await worker.TerminateAsync());
        Assert.Contains("releasing the trial", worker.Output);

        var released = await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "waiting", "back in the queue", timeoutSeconds: 10);
        Assert.Equal(1, released.GetProperty("attempts").GetInt32());
        cluster.StartWorker("next");
        var resumed = await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "running", "running on the next worker");
        Assert.Equal("next", resumed.GetProperty("lease_owner").GetString());
        Assert.Equal(2, resumed.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task A_silo_killed_and_restarted_on_embedded_storage_resumes_the_study_to_the_full_count()
    {
        await using var cluster = new LocalCluster();
        await SiloRestartScenario(cluster);
    }

    /// <summary>
    /// Issue 11: a worker's call to a silo that stops answering ended only at Orleans' 30 s response
    /// timeout, since the call ignored the pipeline's 10 s attempt timeout, while its heartbeats kept the
    /// lease alive. Now each attempt ends at 10 s (Polly's TimeoutRejectedException) and is retried.
    /// </summary>
    [Fact]
    public async Task A_silo_that_stops_answering_mid_trial_costs_a_worker_one_attempt_timeout_not_the_response_timeout()
    {
        await using var cluster = new LocalCluster();
        var silo = await cluster.StartSilo();
        var worker = cluster.StartWorker("w1");
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("frozen", ["distilbert"], trials: 2, maxParallel: 1, steps: 30, stepSeconds: 0.2, pruner: "none", leaseSeconds: 120));
        var id = await cluster.Submit(file, "frozen");
        await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "running", "running");

        silo.Freeze(true);
        try
        {
            // 10 s attempt timeout plus slack, well short of Orleans' 30 s.
            await worker.WaitForOutput("TimeoutRejectedException", 20);
        }
        finally
        {
            silo.Freeze(false);
        }
        var status = await cluster.WaitUntilFinished(id, 180);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        Assert.Equal(2, (await cluster.Trials(id)).EnumerateArray().Count(t => t.GetProperty("status").GetString() == "complete"));
    }

    internal static async Task SiloRestartScenario(LocalCluster cluster)
    {
        var silo = await cluster.StartSilo();
        var (gateway, metrics) = (cluster.Silos[0].GatewayPort, cluster.Silos[0].MetricsPort);
        cluster.StartWorker("w1");
        cluster.StartWorker("w2");
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("restart", ["distilbert", "roberta"], trials: 8, maxParallel: 3, steps: 5, stepSeconds: 0.1, pruner: "none", leaseSeconds: 5));
        var id = await cluster.Submit(file, "restart");
        await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "complete", "complete");

        silo.KillHard();
        cluster.Silos.Clear();
        await cluster.StartSilo(gatewayPort: gateway, metricsPort: metrics);

        var status = await cluster.WaitUntilFinished(id, 240);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = await cluster.Trials(id);
        AssertEachTrialOnce(trials, ["distilbert", "roberta"], 8);
        var notComplete = trials.EnumerateArray().Where(t => t.GetProperty("status").GetString() != "complete").Select(t => t.ToString()).ToList();
        Assert.True(notComplete.Count == 0, $"not complete:\n{string.Join("\n", notComplete)}\n{cluster.Dump()}");
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterProcessCollection
{
    // Process tests share the machine's two cores: run them one at a time.
    public const string Name = "cluster processes";
}

/// <summary>The same failures on PostgreSQL: a real server started for this class.</summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class PostgresClusterProcessTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task A_silo_killed_and_restarted_on_postgres_resumes_the_study_to_the_full_count()
    {
        await using var cluster = new LocalCluster(FreshDatabase("restart"), databaseClustering: true);
        await ClusterProcessTests.SiloRestartScenario(cluster);
    }

    [Fact]
    public async Task Two_silos_on_postgres_one_killed_and_the_study_goes_on()
    {
        await using var cluster = new LocalCluster(FreshDatabase("twosilos"), databaseClustering: true);
        var first = await cluster.StartSilo();
        await cluster.StartSilo();
        cluster.StartWorker("w1");
        cluster.StartWorker("w2");
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("two", ["distilbert", "roberta", "electra"], trials: 6, maxParallel: 3, steps: 5, stepSeconds: 0.1, pruner: "none", leaseSeconds: 5));
        var id = await cluster.Submit(file, "two-silos");
        await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "complete", "complete");

        first.KillHard();

        var status = await cluster.WaitUntilFinished(id, 240, afterASiloDied: true);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = await cluster.Trials(id);
        Assert.Equal(18, trials.EnumerateArray().Count(t => t.GetProperty("status").GetString() == "complete"));
    }

    [Fact]
    public async Task Postgres_stopped_under_a_running_cluster_gives_a_clear_storage_error_and_the_study_completes_after_it_returns()
    {
        // Localhost clustering: only grain storage is in PostgreSQL, so clients still reach the silo.
        await using var cluster = new LocalCluster(FreshDatabase("outage"));
        var silo = await cluster.StartSilo();
        var worker = cluster.StartWorker("w1");
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("outage", ["distilbert"], trials: 8, maxParallel: 2, steps: 4, stepSeconds: 0.25, pruner: "none", leaseSeconds: 10));
        var id = await cluster.Submit(file, "outage");
        await cluster.WaitForTrial(id, t => t.GetProperty("status").GetString() == "complete", "complete");

        await postgres.StopAsync();
        try
        {
            // A new study must be written, so the call meets the outage.
            var (code, _, error) = await Sweep.Run("submit", cluster.WriteStudy("second", LocalCluster.SimulatedStudy("second", ["distilbert"], trials: 1, maxParallel: 1, steps: 1, stepSeconds: 0.01)),
                "--id", "second", "--cluster", cluster.Address);
            Assert.True(code == 1, $"submit exited {code}: {error}");
            // One line that says what is wrong and where; not Orleans' wrapper, not the provider's stack. (The study
            // file's own notes, e.g. that every trial is a start-up trial, come first and are not part of the error.)
            var problem = error.Trim().Split('\n').Where(l => !l.Contains(": note: ", StringComparison.Ordinal)).ToList();
            Assert.StartsWith($"sweep: storage unavailable (PostgreSQL at 127.0.0.1:{postgres.Port}: connection refused); ", Assert.Single(problem));
            await worker.WaitForOutput("storage unavailable (PostgreSQL at", 60);
        }
        finally
        {
            await postgres.StartAsync();
        }

        var status = await cluster.WaitUntilFinished(id, 240);
        Assert.Equal("finished", status.GetProperty("state").GetString());
        var trials = await cluster.Trials(id);
        Assert.Equal(8, trials.EnumerateArray().Count(t => t.GetProperty("status").GetString() == "complete"));
        Assert.Contains("storage unavailable (PostgreSQL at", silo.Output);
        // Not the provider's exception (which cannot cross the wire), nor its stack trace on every failed
        // operation; in the worker, not Orleans' multi-line wrapper either. (A grain whose activation met
        // the outage is still logged by Orleans as one error: that is one per grain, not per call.)
        foreach (var noise in new[] { "Could not find a codec", "Orleans.Storage.AdoNetGrainStorage", "   at Npgsql." })
            Assert.False((silo.Output + worker.Output).Contains(noise, StringComparison.Ordinal), $"'{noise}' in the logs:\n{cluster.Dump()}");
        Assert.DoesNotContain("Exc level", worker.Output);
    }

    private string FreshDatabase(string name)
    {
        var database = $"{name}_{Guid.NewGuid():N}"[..30];
        using (var connection = new Npgsql.NpgsqlConnection(postgres.ConnectionString))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE {database}";
            command.ExecuteNonQuery();
        }
        return postgres.ConnectionString.Replace("Database=postgres", $"Database={database}");
    }
}
