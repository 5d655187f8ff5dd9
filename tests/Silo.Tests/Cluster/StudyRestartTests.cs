using Orleans.TestingHost;
using SweepCluster.Connection;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Vocabulary;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>
/// A study's search survives a restart: after the silo comes back from SQLite storage, the next trials it
/// asks are the very ones an uninterrupted run asks.
/// </summary>
[Collection(SqliteStorageConfigurator.Collection)]
public sealed class StudyRestartTests : IAsyncLifetime
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), $"sweep-restart-{Guid.NewGuid():N}.db");
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_db}"))
            await Storage.SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken);
        var builder = new TestClusterBuilder(1);
        SqliteStorageConfigurator.DatabasePath = _db;
        builder.AddSiloBuilderConfigurator<SqliteStorageConfigurator>();
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(_db)!, Path.GetFileName(_db) + "*")) File.Delete(f);
    }

    /// <summary>Runs trials one at a time, each completing with a value derived from its parameters; each trial's parameters.</summary>
    private static async Task<List<IReadOnlyDictionary<string, double>>> RunTrials(IGrainFactory grains, string studyId, int count) =>
        (await RunWithBackbones(grains, studyId, count)).Select(t => t.Params).ToList();

    /// <summary>As <see cref="RunTrials"/>, with each trial's backbone.</summary>
    private static async Task<List<(string Backbone, IReadOnlyDictionary<string, double> Params)>> RunWithBackbones(IGrainFactory grains, string studyId, int count)
    {
        var asked = new List<(string, IReadOnlyDictionary<string, double>)>();
        var worker = TestStudies.Worker();
        for (var i = 0; i < count; i++)
        {
            var lease = await TestStudies.Eventually(() => grains.Queue().Lease(worker), a => a is not null && a.StudyId == studyId, "a lease") ?? throw new InvalidOperationException();
            Assert.True(await grains.Trial(lease).Start(lease.Attempt, worker));
            var view = await grains.Trial(lease).GetView();
            asked.Add((view.Backbone, view.InternalParams));
            var value = view.InternalParams.Values.Sum(v => Math.Abs(Math.Log(Math.Abs(v) + 1e-3)));
            await grains.Trial(lease).Report(lease.Attempt, 1, value + 1);
            await grains.Trial(lease).Complete(lease.Attempt, value, [new StepValue(1, value + 1)]);
        }
        return asked;
    }

    [Fact]
    public async Task After_a_silo_restart_the_study_asks_the_same_next_trials_as_an_uninterrupted_run()
    {
        // 14 trials: past TPE's 10 random start-up trials, so the asks depend on the replayed history.
        var spec = TestStudies.Simulated(name: "restart", trials: 14, maxParallel: 1, pruner: "median");
        await _cluster.Client.GetGrain<Contracts.Grains.IStudyGrain>("uninterrupted").Submit(spec);
        var uninterrupted = await RunTrials(_cluster.Client, "uninterrupted", 14);

        await _cluster.Client.GetGrain<Contracts.Grains.IStudyGrain>("interrupted").Submit(spec);
        var before = await RunTrials(_cluster.Client, "interrupted", 11);
        await _cluster.RestartSiloAsync(_cluster.Primary!);
        await _cluster.InitializeClientAsync(TestContext.Current.CancellationToken);
        var after = await RunTrials(_cluster.Client, "interrupted", 3);

        var interrupted = before.Concat(after).ToList();
        Assert.Equal(uninterrupted.Count, interrupted.Count);
        for (var i = 0; i < uninterrupted.Count; i++) Assert.Equal(uninterrupted[i], interrupted[i]);
        var status = await TestStudies.Eventually(() => _cluster.Client.GetGrain<Contracts.Grains.IStudyGrain>("interrupted").GetStatus(),
            s => s.State == StudyState.Finished, "the resumed study to finish");
        Assert.Equal(14, status.Finished);
        Assert.Equal(0, status.Count(TrialState.Failed));
    }

    [Fact]
    public async Task With_share_across_backbones_the_asks_change_and_a_restarted_study_still_asks_the_same_next_trials()
    {
        // Two backbones, 2 start-up trials: from the third trial on each backbone's sampler sees the other's trials.
        static StudySpec Spec(bool share) => TestStudies.Simulated(name: "shared", trials: 6, maxParallel: 1, backbones: ["a", "b"]) with
        {
            Sampler = new SamplerSpec { Kind = "tpe", StartupTrials = 2, ShareAcrossBackbones = share },
        };
        var grains = _cluster.Client;
        await grains.GetGrain<Contracts.Grains.IStudyGrain>("independent").Submit(Spec(false));
        var independent = await RunTrials(grains, "independent", 12);
        await grains.GetGrain<Contracts.Grains.IStudyGrain>("uninterrupted").Submit(Spec(true));
        var uninterrupted = await RunTrials(grains, "uninterrupted", 12);
        static List<string> Keys(IEnumerable<IReadOnlyDictionary<string, double>> trials) =>
            trials.Select(t => string.Join(",", t.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value:R}"))).ToList();
        // Same seeds, so the first trials (random start-up in both) agree; later ones differ through sharing.
        Assert.Equal(Keys(independent.Take(2)), Keys(uninterrupted.Take(2)));
        Assert.NotEqual(Keys(independent), Keys(uninterrupted));

        await _cluster.Client.GetGrain<Contracts.Grains.IStudyGrain>("interrupted").Submit(Spec(true));
        var before = await RunTrials(_cluster.Client, "interrupted", 7);
        await _cluster.RestartSiloAsync(_cluster.Primary!);
        await _cluster.InitializeClientAsync(TestContext.Current.CancellationToken);
        var after = await RunTrials(_cluster.Client, "interrupted", 5);
        Assert.Equal(Keys(uninterrupted), Keys(before.Concat(after)));
    }

    [Fact]
    public async Task With_share_across_backbones_a_backbone_that_lists_its_choices_differently_learns_the_other_backbones_best_choice()
    {
        // Batch size 16 is best for both backbones. Backbone a lists [16, 32, 64]; b lists [32, 16], so 16 is index 0
        // over there and index 1 here. Shared trials are matched by the choice itself (docs/study-spec.md), so b's
        // model-based asks go where both backbones' results point: 16.
        var spaceA = SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1},"bs":{"type":"categorical","choices":[16,32,64]}}""");
        var spaceB = SearchSpace.FromJson("""{"x":{"type":"float","low":0,"high":1},"bs":{"type":"categorical","choices":[32,16]}}""");
        var spec = TestStudies.Simulated(name: "choices", trials: 10, maxParallel: 1, backbones: ["a", "b"]) with
        {
            Sampler = new SamplerSpec { Kind = "tpe", StartupTrials = 2, ShareAcrossBackbones = true },
        };
        spec = spec with { Backbones = [spec.Backbones[0] with { Space = spaceA }, spec.Backbones[1] with { Space = spaceB }] };
        await _cluster.Client.GetGrain<Contracts.Grains.IStudyGrain>("choices").Submit(spec);
        var trials = await RunByBatchSize(_cluster.Client, "choices", 20);
        var b = trials.Where(t => t.Backbone == "b").Select(t => t.BatchSize).ToList();
        Assert.Equal(10, b.Count);
        Assert.True(b.Skip(2).Count(v => v == 16) >= 6, $"trials asked (backbone, batch size): {string.Join(" ", trials)}");
    }

    /// <summary>
    /// budget.backbone_order sequential: with one trial in flight, backbone a runs all its trials before b gets one
    /// (interleaved alternates them), and with sharing b's first trial is already model-based, since a's finished
    /// trials count towards the start-up (without sharing it is b's first start-up point).
    /// </summary>
    [Fact]
    public async Task With_backbone_order_sequential_a_backbone_runs_after_the_one_before_and_starts_from_its_trials()
    {
        static StudySpec Spec(BackboneOrder order, bool share)
        {
            var spec = TestStudies.Simulated(name: "order", trials: 4, maxParallel: 1, backbones: ["a", "b"]);
            return spec with
            {
                Budget = spec.Budget with { BackboneOrder = order },
                Sampler = new SamplerSpec { Kind = "tpe", StartupTrials = 2, ShareAcrossBackbones = share },
            };
        }
        var runs = new Dictionary<string, List<(string Backbone, string Params)>>();
        static string Key(IReadOnlyDictionary<string, double> p) => string.Join(",", p.OrderBy(x => x.Key).Select(x => $"{x.Key}={x.Value:R}"));
        foreach (var (id, order, share) in new[] { ("interleaved", BackboneOrder.Interleaved, false), ("sequential", BackboneOrder.Sequential, false), ("sequential-shared", BackboneOrder.Sequential, true) })
        {
            await _cluster.Client.GetGrain<Contracts.Grains.IStudyGrain>(id).Submit(Spec(order, share));
            runs[id] = (await RunWithBackbones(_cluster.Client, id, 8)).Select(t => (t.Backbone, Key(t.Params))).ToList();
        }
        Assert.Equal("a a a a b b b b", string.Join(" ", runs["sequential"].Select(t => t.Backbone)));
        Assert.Equal("a a a a b b b b", string.Join(" ", runs["sequential-shared"].Select(t => t.Backbone)));
        // Interleaved (the default) keeps the backbones level: each pair of trials has one of each.
        Assert.All(runs["interleaved"].Chunk(2), pair => Assert.Equal(["a", "b"], pair.Select(t => t.Backbone).Order()));
        // Backbone a sees nothing of b before it is done, so a's trials are the same with or without sharing.
        Assert.Equal(runs["sequential"].Take(4), runs["sequential-shared"].Take(4));
        Assert.NotEqual(runs["sequential"][4].Params, runs["sequential-shared"][4].Params);
    }

    /// <summary>Runs trials one at a time: loss x for batch size 16, 10 + x for any other.</summary>
    private static async Task<List<(string Backbone, long BatchSize)>> RunByBatchSize(IGrainFactory grains, string studyId, int count)
    {
        var worker = TestStudies.Worker();
        var asked = new List<(string, long)>();
        for (var i = 0; i < count; i++)
        {
            var lease = await TestStudies.Eventually(() => grains.Queue().Lease(worker), l => l is not null && l.StudyId == studyId, "a lease") ?? throw new InvalidOperationException();
            Assert.True(await grains.Trial(lease).Start(lease.Attempt, worker));
            var view = await grains.Trial(lease).GetView();
            var batchSize = Convert.ToInt64(view.Params["bs"], System.Globalization.CultureInfo.InvariantCulture);
            var value = (batchSize == 16 ? 0 : 10) + Convert.ToDouble(view.Params["x"], System.Globalization.CultureInfo.InvariantCulture);
            asked.Add((view.Backbone, batchSize));
            await grains.Trial(lease).Report(lease.Attempt, 1, value);
            await grains.Trial(lease).Complete(lease.Attempt, value, [new StepValue(1, value)]);
        }
        return asked;
    }
}
