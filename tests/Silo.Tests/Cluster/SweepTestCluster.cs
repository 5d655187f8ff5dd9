using Orleans.TestingHost;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Vocabulary;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>A real in-process Orleans cluster (TestingHost) with SweepCluster's grains and in-memory storage.</summary>
public sealed class SweepTestCluster : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.GrainFactory;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(1);
        builder.AddSiloBuilderConfigurator<Configurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddMemoryGrainStorage(SiloHost.StorageName);
            silo.Services.AddSweepGrainServices();
        }
    }
}

/// <summary>Study specs for tests, built in code (the YAML parser has its own tests).</summary>
public static class TestStudies
{
    public const string Space = """{"lr":{"type":"float","low":1e-5,"high":1e-1,"log":true},"reg":{"type":"float","low":0,"high":1},"momentum":{"type":"float","low":0,"high":0.99}}""";

    public static StudySpec Simulated(string name = "test", int trials = 6, int maxParallel = 2, string[]? backbones = null,
        double leaseSeconds = 30, int maxAttempts = 3, string pruner = "median", WorkloadKind kind = WorkloadKind.Simulated,
        long minGpuMemoryMb = 0, int steps = 5, double stepSeconds = 0, string curveFamily = "crossing") => new()
    {
        Name = name,
        Data = new DataSpec { Train = "unused.csv" },
        Backbones = (backbones ?? ["distilbert"]).Select(b => new BackboneSpec
        {
            Name = b, Family = BackboneFamily.DistilBert, Space = SearchSpace.FromJson(Space), MinGpuMemoryMb = minGpuMemoryMb, Checkpoint = "/models/" + b,
        }).ToList(),
        Budget = new BudgetSpec { TrialsPerBackbone = trials, MaxParallel = maxParallel },
        Objective = new ObjectiveSpec { Metric = "loss", Direction = StudyDirection.Minimize },
        Pruner = new PrunerSpec { Kind = pruner, StartupTrials = 5 },
        Workload = new WorkloadSpec { Kind = kind, Steps = steps, StepSeconds = stepSeconds, CurveFamily = curveFamily },
        Trials = new TrialPolicySpec { LeaseSeconds = leaseSeconds, MaxAttempts = maxAttempts },
    };

    public static WorkerInfo Worker(string id = "w1", bool simulatedOnly = true, long gpuMemoryMb = 0, params string[] families) =>
        new() { WorkerId = id, SimulatedOnly = simulatedOnly, GpuMemoryMb = gpuMemoryMb, Families = families, Device = simulatedOnly ? "simulated" : "cuda" };

    /// <summary>Polls until <paramref name="condition"/> holds, failing with <paramref name="what"/> after the timeout.</summary>
    public static async Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, double timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var value = await probe();
            if (condition(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}; last value: {value}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public static IWorkQueueGrain Queue(this IGrainFactory grains) => grains.GetGrain<IWorkQueueGrain>(0);
    public static IStudyGrain Study(this IGrainFactory grains, string id) => grains.GetGrain<IStudyGrain>(id);
    public static ITrialGrain Trial(this IGrainFactory grains, TrialAssignment a) => grains.GetGrain<ITrialGrain>(a.TrialKey);
}
