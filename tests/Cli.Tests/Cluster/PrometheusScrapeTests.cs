using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>A real Prometheus (Debian's `prometheus`) scrapes the silo's /metrics and answers queries about a study.</summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class PrometheusScrapeTests
{
    /// <summary>The expressions of deploy/grafana/sweepcluster-dashboard.json, found from the test's folder upwards.</summary>
    private static List<string> DashboardQueries()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "deploy/grafana/sweepcluster-dashboard.json"))) dir = dir.Parent;
        Assert.NotNull(dir);
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.FullName, "deploy/grafana/sweepcluster-dashboard.json")));
        var queries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .Where(p => p.TryGetProperty("targets", out _)).SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(queries.Count >= 10);
        return queries;
    }

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Prometheus_scrapes_the_silo_and_reads_back_the_studys_trial_counts()
    {
        var prometheus = new[] { "/usr/bin/prometheus", "/usr/local/bin/prometheus" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("prometheus is not installed (apt-get install prometheus; .ci/run does this)");
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var metricsPort = cluster.Silos[0].MetricsPort;
        cluster.StartWorker("w1");
        var id = await cluster.Submit(cluster.WriteStudy("prom", LocalCluster.SimulatedStudy("prom", ["distilbert"], trials: 4, maxParallel: 2, steps: 3, stepSeconds: 0.01, pruner: "none")), "prom");
        await cluster.WaitUntilFinished(id);

        var exposition = await Http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics", TestContext.Current.CancellationToken);
        Assert.Contains("sweep_trials_finished_total", exposition);
        Assert.Contains("sweep_queue_waiting", exposition);
        Assert.Contains("sweep_trial_duration_seconds_bucket", exposition);
        Assert.Contains($"sweep_trial_duration_seconds_bucket{{otel_scope_name=\"SweepCluster\",backbone=\"distilbert\",status=\"complete\",study=\"{id}\"", exposition);

        var webPort = PostgresServer.FreePort();
        var config = cluster.WriteStudy("prometheus", $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: sweepcluster
                static_configs:
                  - targets: ["127.0.0.1:{metricsPort}"]
            """);
        var start = new ProcessStartInfo(prometheus) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(cluster.Directory, "tsdb")}", $"--web.listen-address=127.0.0.1:{webPort}" })
            start.ArgumentList.Add(a);
        using var server = Process.Start(start)!;
        var log = server.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            var query = Uri.EscapeDataString($"sum(sweep_trials_finished_total{{study=\"{id}\"}})");
            var deadline = DateTime.UtcNow.AddSeconds(60);
            double? value = null;
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(1000, TestContext.Current.CancellationToken);
                try
                {
                    using var answer = JsonDocument.Parse(await Http.GetStringAsync($"http://127.0.0.1:{webPort}/api/v1/query?query={query}", TestContext.Current.CancellationToken));
                    var result = answer.RootElement.GetProperty("data").GetProperty("result");
                    if (result.GetArrayLength() == 0) continue;
                    value = double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
                    if (value == 4) break;
                }
                catch (HttpRequestException)
                {
                    // Prometheus is still starting.
                }
            }
            Assert.True(value == 4, $"Prometheus answered {value?.ToString(CultureInfo.InvariantCulture) ?? "nothing"} for {query}");

            using var up = JsonDocument.Parse(await Http.GetStringAsync($"http://127.0.0.1:{webPort}/api/v1/query?query={Uri.EscapeDataString("sweep_trials{status=\"complete\"}")}", TestContext.Current.CancellationToken));
            var series = up.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
                .Single(r => r.GetProperty("metric").GetProperty("study").GetString() == id);
            Assert.Equal("4", series.GetProperty("value")[1].GetString());

            // Every query of the shipped Grafana dashboard is valid PromQL and draws something after one study:
            // an empty answer is a panel that shows "No data" (a series that does not exist yet, a wrong name or label).
            // rate() and increase() need two samples in their window: wait for three scrapes.
            for (var scrapes = 0.0; scrapes < 3 && DateTime.UtcNow < deadline.AddSeconds(30);)
            {
                await Task.Delay(500, TestContext.Current.CancellationToken);
                using var count = JsonDocument.Parse(await Http.GetStringAsync(
                    $"http://127.0.0.1:{webPort}/api/v1/query?query={Uri.EscapeDataString("count_over_time(up[1m])")}", TestContext.Current.CancellationToken));
                var result = count.RootElement.GetProperty("data").GetProperty("result");
                scrapes = result.GetArrayLength() == 0 ? 0 : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
            }
            var empty = new List<string>();
            foreach (var expr in DashboardQueries())
            {
                var concrete = expr.Replace("$study", ".*").Replace("$backbone", ".*");
                using var answer = JsonDocument.Parse(await Http.GetStringAsync(
                    $"http://127.0.0.1:{webPort}/api/v1/query?query={Uri.EscapeDataString(concrete)}", TestContext.Current.CancellationToken));
                Assert.Equal("success", answer.RootElement.GetProperty("status").GetString());
                if (answer.RootElement.GetProperty("data").GetProperty("result").GetArrayLength() == 0) empty.Add(expr);
            }
            Assert.True(empty.Count == 0, "dashboard queries with no data: " + string.Join("\n", empty));

            // The lease-expiry counter exists at 0 before any lease expired, with the study's label.
            using var leases = JsonDocument.Parse(await Http.GetStringAsync(
                $"http://127.0.0.1:{webPort}/api/v1/query?query={Uri.EscapeDataString($"sweep_leases_expired_total{{study=\"{id}\",backbone=\"distilbert\"}}")}", TestContext.Current.CancellationToken));
            Assert.Equal("0", Assert.Single(leases.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()).GetProperty("value")[1].GetString());
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(TestContext.Current.CancellationToken);
            _ = log;
        }
    }
}
