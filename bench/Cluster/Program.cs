using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Connection;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Silo;
using SweepCluster.Worker.Leasing;
using SweepCluster.Connection.Resilience;
using SweepCluster.Worker;
using SweepCluster.Search.Sampling;
using SweepCluster.Vocabulary;

// cluster-bench [--workers 50,500] [--seconds 60] [--warmup 10] [--storage sqlite|memory|postgres:CS] [--clients 4] [--sampler random] [--steps 10]
// Runs a silo in this process, N simulated workers (lease → start → `steps` reports → complete, zero step
// time) over a few Orleans client connections, and prints lifecycles per minute and lease latency.
//
// cluster-bench --submit-cost [--max-parallel 1,100,3000] [--repeats 5] [--storage sqlite|memory|postgres:CS] [--sampler tpe]
// Submits studies of 2 backbones × 10,000 trials (the largest budget allowed) with each max_parallel and
// prints Submit's latency and the trials it created: flat in max_parallel, as trials are created lazily.
if (args.Contains("--submit-cost"))
{
    await SubmitCost.RunAsync(args.Where(a => a != "--submit-cost").ToArray());
    return;
}
var options = BenchOptions.Parse(args);
Console.WriteLine($"cluster-bench: {Environment.ProcessorCount} cores, .NET {Environment.Version}, storage {options.Storage}, sampler {options.Sampler}, " +
                  $"{options.Steps} reports per trial, {options.Clients} client connections, {options.WarmupSeconds}+{options.Seconds} s per run");
Console.WriteLine();
Console.WriteLine("| workers | lifecycles/min | lease p50 ms | lease p99 ms | lifecycle p50 ms | lifecycle p99 ms | reports/s |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var workers in options.Workers)
{
    var r = await ScaleRun.RunAsync(options, workers);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {workers} | {r.LifecyclesPerMinute:N0} | {r.LeaseP50:0.00} | {r.LeaseP99:0.00} | {r.LifecycleP50:0.0} | {r.LifecycleP99:0.0} | {r.ReportsPerSecond:N0} |"));
}

internal sealed record BenchOptions(int[] Workers, double Seconds, double WarmupSeconds, string Storage, int Clients, string Sampler, int Steps)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions([50, 500], 60, 10, "sqlite", 4, "random", 10);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--workers" => o with { Workers = Next().Split(',').Select(int.Parse).ToArray() },
                "--seconds" => o with { Seconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--warmup" => o with { WarmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--storage" => o with { Storage = Next() },
                "--clients" => o with { Clients = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--sampler" => o with { Sampler = Next() },
                "--steps" => o with { Steps = int.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        return o;
    }
}

internal sealed record ScaleResult(double LifecyclesPerMinute, double LeaseP50, double LeaseP99, double LifecycleP50, double LifecycleP99, double ReportsPerSecond);

internal static class ScaleRun
{
    public static async Task<ScaleResult> RunAsync(BenchOptions options, int workerCount)
    {
        var folder = Directory.CreateTempSubdirectory("cluster-bench-");
        var storage = options.Storage == "sqlite" ? $"sqlite:{Path.Combine(folder.FullName, "sweep.db")}" : options.Storage;
        var gateway = FreePort();
        await using var silo = await SiloHost.BuildAsync(new SiloHostOptions
        {
            Storage = StorageLocation.Parse(storage), SiloPort = FreePort(), GatewayPort = gateway, MetricsPort = 0,
        });
        await silo.StartAsync();
        var connections = new List<ClusterConnection>();
        for (var i = 0; i < options.Clients; i++)
            connections.Add(await ClusterConnection.ConnectAsync(ClusterAddress.Parse($"localhost:{gateway}"), TimeSpan.FromSeconds(30)));

        var studyId = $"bench-{workerCount}";
        await connections[0].Grains.GetGrain<IStudyGrain>(studyId).Submit(Spec(options, workerCount));

        var measuring = false;
        var leases = new List<double>();
        var lifecycles = new List<double>();
        var gate = new Lock();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkerMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            if (!Volatile.Read(ref measuring)) return;
            lock (gate) (instrument == WorkerMetrics.LeaseLatency ? leases : lifecycles).Add(value);
        });
        listener.Start();

        using var stop = new CancellationTokenSource();
        var pipeline = ClusterCallPipeline.Create(new ClusterCallOptions());
        var loops = Enumerable.Range(0, workerCount).Select(i =>
        {
            var worker = new WorkerInfo { WorkerId = $"bench-{i}", SimulatedOnly = true, Device = "simulated" };
            var loop = new LeaseLoop(connections[i % connections.Count].Grains, new WorkloadSelector(null, NullLogger.Instance).For, pipeline,
                new LeaseLoopOptions { Worker = worker, IdlePollMin = TimeSpan.FromMilliseconds(20), IdlePollMax = TimeSpan.FromMilliseconds(200) },
                NullLogger.Instance);
            return Task.Run(() => loop.RunAsync(stop.Token));
        }).ToList();

        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds));
        Volatile.Write(ref measuring, true);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(options.Seconds));
        Volatile.Write(ref measuring, false);
        var elapsed = clock.Elapsed;

        await stop.CancelAsync();
        await Task.WhenAll(loops);
        await connections[0].Grains.GetGrain<IStudyGrain>(studyId).Cancel();
        foreach (var c in connections) await c.DisposeAsync();
        await silo.StopAsync();
        folder.Delete(recursive: true);

        lock (gate)
        {
            leases.Sort();
            lifecycles.Sort();
            return new ScaleResult(
                lifecycles.Count / elapsed.TotalMinutes,
                Percentile(leases, 0.50), Percentile(leases, 0.99),
                Percentile(lifecycles, 0.50), Percentile(lifecycles, 0.99),
                lifecycles.Count * options.Steps / elapsed.TotalSeconds);
        }
    }

    internal static StudySpec Spec(BenchOptions options, int workers) => new()
    {
        Name = "bench",
        Data = new DataSpec { Train = "unused.csv" },
        Backbones = new[] { "distilbert", "roberta", "electra" }.Select(b => new BackboneSpec
        {
            Name = b, Family = BackboneFamily.DistilBert,
            Space = SweepCluster.Search.Space.SearchSpace.FromJson("""{"lr":{"type":"float","low":1e-5,"high":1e-1,"log":true},"reg":{"type":"float","low":0,"high":1},"momentum":{"type":"float","low":0,"high":0.99}}"""),
        }).ToList(),
        Objective = new ObjectiveSpec { Metric = "loss", Direction = StudyDirection.Minimize },
        // The largest budget the limits allow (3 × 6,666 ≤ 20,000 a study); runs far longer than any bench.
        Budget = new BudgetSpec { TrialsPerBackbone = StudyLimits.MaxTrialsPerStudy / 3, MaxParallel = Math.Min(StudyLimits.MaxParallel, workers + workers / 4 + 4) },
        Sampler = new SamplerSpec { Kind = options.Sampler },
        Pruner = new PrunerSpec { Kind = "none" },
        Workload = new WorkloadSpec { Kind = WorkloadKind.Simulated, Steps = options.Steps, StepSeconds = 0 },
    };

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// Issue 11, item 1: what one Submit costs against budget.max_parallel. Each case submits <c>repeats</c>
/// fresh studies (2 backbones × 10,000 trials, the budget limit) to a silo in this process and reports the
/// median and worst Submit latency and the trials Submit created.
/// </summary>
internal static class SubmitCost
{
    public static async Task RunAsync(string[] args)
    {
        int[] maxParallel = [1, 100, 3000];
        var repeats = 5;
        var storageOption = "sqlite";
        var sampler = "tpe";
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--max-parallel": maxParallel = Next().Split(',').Select(int.Parse).ToArray(); break;
                case "--repeats": repeats = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--storage": storageOption = Next(); break;
                case "--sampler": sampler = Next(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        var folder = Directory.CreateTempSubdirectory("cluster-bench-submit-");
        var storage = storageOption == "sqlite" ? $"sqlite:{Path.Combine(folder.FullName, "sweep.db")}" : storageOption;
        var gateway = ScaleRun.FreePort();
        await using var silo = await SiloHost.BuildAsync(new SiloHostOptions
        {
            Storage = StorageLocation.Parse(storage), SiloPort = ScaleRun.FreePort(), GatewayPort = gateway, MetricsPort = 0,
        });
        await silo.StartAsync();
        await using var connection = await ClusterConnection.ConnectAsync(ClusterAddress.Parse($"localhost:{gateway}"), TimeSpan.FromSeconds(30));
        Console.WriteLine($"cluster-bench --submit-cost: {Environment.ProcessorCount} cores, .NET {Environment.Version}, storage {storageOption}, sampler {sampler}, " +
                          $"2 backbones × {StudyLimits.MaxTrialsPerBackbone:N0} trials, {repeats} studies per case (after one warm-up study)");
        Console.WriteLine();
        Console.WriteLine("| max_parallel | budget | submit p50 ms | submit max ms | trials created by submit | waiting shown |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var spec = ScaleRun.Spec(new BenchOptions([1], 0, 0, storageOption, 1, sampler, 10), 1) with
        {
            Backbones = ScaleRun.Spec(new BenchOptions([1], 0, 0, storageOption, 1, sampler, 10), 1).Backbones.Take(2).ToList(),
            Budget = new BudgetSpec { TrialsPerBackbone = StudyLimits.MaxTrialsPerBackbone, MaxParallel = 1 },
        };
        // Warm-up: grain activation, storage schema and JIT are paid once, not by the first case.
        await Submit(connection, "warmup", spec);
        foreach (var parallel in maxParallel)
        {
            var latencies = new List<double>();
            StudyStatus? last = null;
            for (var r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                last = await Submit(connection, $"submit-{parallel}-{r}", spec with { Budget = spec.Budget with { MaxParallel = parallel } });
                latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
            latencies.Sort();
            var created = last!.Backbones.Sum(b => b.Counts.Values.Sum());
            var pending = last.Backbones.Sum(b => b.Pending);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {parallel:N0} | {last.Budget:N0} | {latencies[latencies.Count / 2]:0.0} | {latencies[^1]:0.0} | {created} | {pending:N0} |"));
        }
        await silo.StopAsync();
        folder.Delete(recursive: true);
    }

    private static async Task<StudyStatus> Submit(ClusterConnection connection, string id, StudySpec spec)
    {
        var study = connection.Grains.GetGrain<IStudyGrain>(id);
        var status = await study.Submit(spec);
        // Cancelled at once: no worker runs here, and the next case must not share the queue with it.
        await study.Cancel();
        return status;
    }
}
