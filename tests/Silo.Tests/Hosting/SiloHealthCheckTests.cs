using System.Net;
using SweepCluster.Connection;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Silo.Tests.Hosting;

/// <summary>The probes Kubernetes uses (deploy/k8s/base/silo.yaml): /healthz/live and /healthz/ready on the metrics port.</summary>
public sealed class SiloHealthCheckTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public async Task Ready_once_the_silo_is_active_and_live_throughout()
    {
        var ct = TestContext.Current.CancellationToken;
        var dir = Directory.CreateTempSubdirectory("sweep-health-");
        try
        {
            var metricsPort = PostgresServer.FreePort();
            await using var app = await SiloHost.BuildAsync(new SiloHostOptions
            {
                Storage = StorageLocation.Parse("sqlite:" + Path.Combine(dir.FullName, "sweep.db")),
                Clustering = ClusteringMode.Database,
                SiloPort = PostgresServer.FreePort(),
                GatewayPort = PostgresServer.FreePort(),
                MetricsPort = metricsPort,
                FastFailureDetection = true,
            }, ct);
            await app.StartAsync(ct);
            var baseUri = $"http://127.0.0.1:{metricsPort}";

            var live = await Http.GetAsync(baseUri + SiloHost.LivePath, ct);
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("Healthy", await live.Content.ReadAsStringAsync(ct));

            HttpStatusCode ready = 0;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (DateTime.UtcNow < deadline && ready != HttpStatusCode.OK)
            {
                ready = (await Http.GetAsync(baseUri + SiloHost.ReadyPath, ct)).StatusCode;
                if (ready != HttpStatusCode.OK) await Task.Delay(250, ct);
            }
            Assert.Equal(HttpStatusCode.OK, ready);

            // Storage gone (the database file's folder moved away in one step, so SQLite cannot open it and
            // nothing can write into it while it goes): not ready, still live.
            SqliteClearPools();
            Directory.Move(dir.FullName, dir.FullName + "-gone");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await Http.GetAsync(baseUri + SiloHost.ReadyPath, ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(baseUri + SiloHost.LivePath, ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync(baseUri + "/healthz", ct)).StatusCode);
            // Its storage is gone, so a graceful stop would retry writing membership for minutes: cut it short.
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try { await app.StopAsync(stop.Token); } catch (OperationCanceledException) { }
        }
        finally
        {
            foreach (var path in new[] { dir.FullName, dir.FullName + "-gone" })
                if (Directory.Exists(path)) try { Directory.Delete(path, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Unreachable_postgres_is_reported_without_the_password()
    {
        var port = PostgresServer.FreePort();
        var storage = StorageLocation.Parse($"postgres:Host=127.0.0.1;Port={port};Username=sweep;Password=hunter2-secret;Database=sweep;Timeout=2");
        var error = await SiloReadinessCheck.ProbeStorageAsync(storage, TestContext.Current.CancellationToken);
        Assert.NotNull(error);
        Assert.DoesNotContain("hunter2-secret", error);
        Assert.Null(await SiloReadinessCheck.ProbeStorageAsync(StorageLocation.Parse("memory"), TestContext.Current.CancellationToken));
    }

    private static void SqliteClearPools() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
}
