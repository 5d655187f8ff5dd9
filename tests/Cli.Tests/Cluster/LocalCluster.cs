using System.Globalization;
using System.Text.Json;
using SweepCluster.Tests.Shared;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>Silos and simulated workers as real `sweep` processes on 127.0.0.1, each on free ports.</summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<ChildProcess> _processes = [];
    private readonly TempDirectory _dir = new();

    public string Directory => _dir.Path;

    /// <summary>The storage every silo of this cluster uses (sqlite:… or postgres:…).</summary>
    public string Storage { get; }

    public bool DatabaseClustering { get; }

    public List<(ChildProcess Process, int GatewayPort, int MetricsPort)> Silos { get; } = [];

    public LocalCluster(string? postgres = null, bool databaseClustering = false)
    {
        Storage = postgres is null ? $"sqlite:{Path.Combine(_dir.Path, "sweep.db")}" : $"postgres:{postgres}";
        DatabaseClustering = databaseClustering;
    }

    /// <summary>How clients reach the cluster: the first silo's gateway, or the membership table.</summary>
    public string Address => DatabaseClustering ? Storage : $"localhost:{Silos[0].GatewayPort}";

    public async Task<ChildProcess> StartSilo(int? gatewayPort = null, int? siloPort = null, int? metricsPort = null, IEnumerable<string>? extraArgs = null)
    {
        var gateway = gatewayPort ?? PostgresServer.FreePort();
        var metrics = metricsPort ?? PostgresServer.FreePort();
        var args = new List<string>
        {
            "silo", "--storage", Storage, "--gateway-port", Str(gateway), "--silo-port", Str(siloPort ?? PostgresServer.FreePort()),
            "--metrics-port", Str(metrics), "--fast-failure-detection",
        };
        if (DatabaseClustering) args.AddRange(["--clustering", "database"]);
        if (extraArgs is not null) args.AddRange(extraArgs);
        var silo = ChildProcess.Start($"silo-{Silos.Count}", [.. args]);
        _processes.Add(silo);
        Silos.Add((silo, gateway, metrics));
        await silo.WaitForOutput("silo up", 90);
        return silo;
    }

    /// <summary>A child process of this cluster (killed when it is disposed), e.g. a worker with extra options.</summary>
    public ChildProcess Start(string name, params string[] args)
    {
        var process = ChildProcess.Start(name, args);
        _processes.Add(process);
        return process;
    }

    public ChildProcess StartWorker(string id)
    {
        var worker = ChildProcess.Start(id, "worker", "--simulated", "--id", id, "--cluster", Address);
        _processes.Add(worker);
        return worker;
    }

    /// <summary>A training worker (`sweep worker`, CPU, one thread) writing its artifacts under this cluster's folder.</summary>
    public ChildProcess StartTrainingWorker(string id)
    {
        var worker = ChildProcess.Start(id, "worker", "--id", id, "--cluster", Address, "--device", "cpu", "--threads", "1",
            "--artifacts", ArtifactsRoot, "--log-level", "information");
        _processes.Add(worker);
        return worker;
    }

    public string ArtifactsRoot => System.IO.Path.Combine(Directory, "artifacts");

    public string WriteStudy(string name, string yaml) => _dir.File(name + ".yaml", yaml);

    public async Task<string> Submit(string studyFile, string id) => (await Sweep.Ok("submit", studyFile, "--id", id, "--cluster", Address)).Trim();

    public Task<JsonElement> Status(string id) => Sweep.Json("status", id, "--json", "--cluster", Address);

    public Task<JsonElement> Trials(string id) => Sweep.Json("trials", id, "--format", "json", "--cluster", Address);

    /// <summary>
    /// Polls `sweep status` until the study is finished; fails with every process's output otherwise. With
    /// <paramref name="afterASiloDied"/>, a failed call is polled again until the deadline: until the membership
    /// table declares a killed silo dead, a client may pick its gateway and wait out its connect timeout, or a
    /// grain that lived there may not be placed again within the call's bound ("Message expired before
    /// placement could complete", seen in CI); that is the cluster failing over, not the study stopping.
    /// </summary>
    public async Task<JsonElement> WaitUntilFinished(string id, double timeoutSeconds = 180, bool afterASiloDied = false)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            JsonElement status;
            try
            {
                status = await Status(id);
            }
            catch (Exception e) when (afterASiloDied && DateTime.UtcNow < deadline)
            {
                TestContext.Current.SendDiagnosticMessage($"status during failover failed, polling again: {e.Message}");
                await Task.Delay(500, TestContext.Current.CancellationToken);
                continue;
            }
            if (status.GetProperty("state").GetString() != "running") return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"study {id} not finished after {timeoutSeconds} s\n{Dump()}");
            await Task.Delay(500, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Polls the trials until one matches.</summary>
    public async Task<JsonElement> WaitForTrial(string id, Func<JsonElement, bool> match, string what, double timeoutSeconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            foreach (var t in (await Trials(id)).EnumerateArray())
                if (match(t)) return t;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no trial {what} after {timeoutSeconds} s\n{Dump()}");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    public string Dump() => string.Join("\n", _processes.Select(p => $"===== {p.Name} =====\n{Tail(p.Output, 4000)}"));

    private static string Tail(string s, int n) => s.Length <= n ? s : s[^n..];

    private static string Str(int port) => port.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _processes) await p.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>A simulated study file (SUITE.md learning curves), minimising the loss.</summary>
    public static string SimulatedStudy(string name, string[] backbones, int trials, int maxParallel, int steps, double stepSeconds,
        string pruner = "median", double leaseSeconds = 30, int maxAttempts = 3) => $$"""
        name: {{name}}
        seed: 7
        data: {train: unused.csv}
        objective: {metric: loss, direction: minimize}
        budget: {trials_per_backbone: {{trials}}, max_parallel: {{maxParallel}}}
        pruner: {kind: {{pruner}}, startup_trials: 5}
        workload: {kind: simulated, curve_family: crossing, steps: {{steps}}, step_seconds: {{F(stepSeconds)}}}
        trials: {lease_seconds: {{F(leaseSeconds)}}, max_attempts: {{maxAttempts}}}
        search_space:
          lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
          reg: {type: float, low: 0.0, high: 1.0}
          momentum: {type: float, low: 0.0, high: 0.99}
        backbones:
        {{string.Join("\n", backbones.Select(b => $"  - {{name: {b}, family: {Family(b)}}}"))}}
        """;

    private static string F(double x) => x.ToString(CultureInfo.InvariantCulture);

    private static string Family(string backbone) => backbone switch
    {
        var b when b.StartsWith("roberta", StringComparison.Ordinal) => "roberta",
        var b when b.StartsWith("electra", StringComparison.Ordinal) => "electra",
        var b when b.StartsWith("deberta", StringComparison.Ordinal) => "deberta-v2",
        var b when b.StartsWith("bert", StringComparison.Ordinal) => "bert",
        _ => "distilbert",
    };
}
