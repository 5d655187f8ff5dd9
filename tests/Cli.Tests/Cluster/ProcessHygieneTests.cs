using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// Issue 11, items 3 and 7, over real processes: workers that outlive a killed `sweep up`, worker ids
/// shared by two processes, and silo log noise (stack traces for dropped connections, a watchdog
/// "stall" as long as the machine's uptime).
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ProcessHygieneTests
{
    private static string Port() => PostgresServer.FreePort().ToString(CultureInfo.InvariantCulture);

    private static async Task<List<JsonElement>> ConnectedWorkers(string cluster, int atLeast, double timeoutSeconds = 120)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var workers = (await Sweep.Json("workers", "--json", "--cluster", cluster)).EnumerateArray()
                .Where(w => w.GetProperty("connected").GetBoolean()).ToList();
            if (workers.Count >= atLeast) return workers;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{workers.Count} of {atLeast} workers connected after {timeoutSeconds} s");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }

    internal static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    [Fact]
    public async Task Workers_started_by_up_stop_when_up_is_killed_with_sigkill_and_each_has_its_own_id()
    {
        using var dir = new TempDirectory();
        var gateway = Port();
        await using var up = ChildProcess.Start("up", ["up", "--workers", "2", "--gateway-port", gateway, "--silo-port", Port(), "--metrics-port", "0",
            "--data-dir", Path.Combine(dir.Path, "data")]);
        await up.WaitForOutput("SweepCluster is up", 90);
        var workers = await ConnectedWorkers($"localhost:{gateway}", 2);

        var pids = workers.Select(w => w.GetProperty("info").GetProperty("process_id").GetInt32()).ToList();
        var ids = workers.Select(w => w.GetProperty("info").GetProperty("worker_id").GetString()!).ToList();

        up.KillHardAlone(); // kill -9 of `sweep up` only: nothing in it runs to stop its workers

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (pids.Any(Alive) && DateTime.UtcNow < deadline) await Task.Delay(200, TestContext.Current.CancellationToken);
        var orphans = pids.Where(Alive).ToList();
        foreach (var pid in orphans)
        {
            using var orphan = Process.GetProcessById(pid);
            orphan.Kill();
        }
        var problems = new List<string>();
        if (orphans.Count > 0) problems.Add($"workers {string.Join(", ", orphans)} outlived the killed `sweep up` by 20 s");
        if (ids.Distinct().Count() != 2) problems.Add($"ids not distinct: {string.Join(", ", ids)}");
        // Unique per process: the id names the worker's own pid (host-pid-start time), not a slot number
        // that the next `sweep up` hands out again.
        for (var i = 0; i < ids.Count; i++)
            if (!ids[i].Contains($"-{pids[i]}-", StringComparison.Ordinal)) problems.Add($"id '{ids[i]}' does not name its process {pids[i]}");
        Assert.True(problems.Count == 0, string.Join("\n", problems) + "\n" + up.Output);
    }

    [Fact]
    public async Task A_second_worker_with_the_id_of_a_live_worker_is_refused_and_the_first_keeps_it()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var first = cluster.StartWorker("w1");
        var listed = await ConnectedWorkers(cluster.Address, 1);
        var holder = listed.Single().GetProperty("info").GetProperty("process_id").GetInt32();
        Assert.Equal(first.Id, holder);

        var second = cluster.StartWorker("w1");
        var code = await second.WaitForExitAsync(90);

        Assert.True(code == 2, $"the duplicate exited {code}:\n{second.Output}");
        Assert.Contains("worker id 'w1' is held by a live worker", second.Output);
        Assert.Contains($"pid {first.Id}", second.Output);
        var after = await ConnectedWorkers(cluster.Address, 1);
        Assert.Equal(first.Id, after.Single().GetProperty("info").GetProperty("process_id").GetInt32());
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task A_silo_log_shows_no_stack_trace_for_a_killed_worker_and_no_start_up_stall_longer_than_the_silo_has_lived()
    {
        await using var cluster = new LocalCluster();
        var silo = await cluster.StartSilo();
        var worker = cluster.StartWorker("w1");
        await ConnectedWorkers(cluster.Address, 1);
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken); // past the watchdog's first checks

        worker.KillHard();
        await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);

        var log = silo.Output;
        var noise = new[]
        {
            "Exception while processing messages", "Connection reset by peer", "   at Orleans.",
            // Orleans' watchdog measured from timestamp 0 (boot, on Linux) before it had set its own start.
            "Participant check thread has not completed", "Platform stalled for",
        }.Where(text => log.Contains(text, StringComparison.Ordinal)).ToList();
        Assert.True(noise.Count == 0, $"silo log has: {string.Join(" | ", noise)}\n{log}");
    }
}
