using Orleans.TestingHost;
using SweepCluster.Connection;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>
/// Studies stored by an earlier version load and resume. Fixtures/stored-studies-v1.db was written by the code
/// before issue 13 (the Studies project, the one vocabulary) with the SQLite grain storage and the serializer `sweep up` uses:
/// "stored-search", a simulated study (two backbones, 6 trials each, maximize, tpe_multivariate, percentile
/// pruner) with 5 trials complete and one waiting; and "stored-stages", a training study whose search is done
/// and whose final retrain (a trial grain "distilbert~final", from before jobs had a kind) is waiting. Changing how a stored type reads breaks this test.
/// </summary>
[Collection(SqliteStorageConfigurator.Collection)]
public sealed class StoredStudyTests : IAsyncLifetime
{
    private readonly string _db = Path.Combine(Path.GetTempPath(), $"sweep-stored-{Guid.NewGuid():N}.db");
    private TestCluster _cluster = null!;
    private IGrainFactory Grains => _cluster.Client;

    public async ValueTask InitializeAsync()
    {
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "stored-studies-v1.db"), _db);
        SqliteStorageConfigurator.DatabasePath = _db;
        var builder = new TestClusterBuilder(1);
        builder.Options.ServiceId = ClusterAddress.ServiceId; // storage rows are keyed by service id, as `sweep up` writes them
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

    [Fact]
    public async Task A_stored_search_loads_with_its_spec_and_history_and_runs_to_the_end()
    {
        var spec = await Grains.Study("stored-search").GetSpec();
        Assert.Equal("stored-search", spec.Name);
        Assert.Equal(["distilbert", "bert"], spec.Backbones.Select(b => b.Name));
        Assert.Equal(StudyDirection.Maximize, spec.Objective.Direction);
        Assert.Equal("f1", spec.Objective.Metric);
        Assert.Equal("tpe_multivariate", spec.Sampler.Kind);
        Assert.Equal(3, spec.Sampler.StartupTrials);
        Assert.Equal("percentile", spec.Pruner.Kind);
        Assert.Equal(40, spec.Pruner.Percentile);
        Assert.Equal(1, spec.Pruner.WarmupSteps);
        Assert.Equal(7, spec.Seed);
        Assert.Equal(WorkloadKind.Simulated, spec.Workload.Kind);
        Assert.Equal(TestStudies.Space, spec.Backbones[0].SpaceJson);

        var stored = await Grains.Study("stored-search").GetTrials();
        var complete = stored.Where(t => t.Status == TrialState.Complete).ToList();
        Assert.Equal(5, complete.Count);
        Assert.All(complete, t => Assert.Equal(2, t.IntermediateValues.Count));
        Assert.Equal([0.5, 0.55, 0.6, 0.65, 0.7], complete.Select(t => t.Value!.Value).Order(), new ToleranceComparer());

        // Resume: a worker runs what is left of the budget; the best stays the stored 0.7 (the new ones report less).
        var worker = TestStudies.Worker("w-resume");
        for (var i = 0; i < 7; i++)
        {
            var lease = await TestStudies.Eventually(() => Grains.Queue().Lease(worker), a => a is not null && a.StudyId == "stored-search", "a lease")
                ?? throw new InvalidOperationException();
            Assert.True(await Grains.Trial(lease).Start(lease.Attempt, worker));
            await Grains.Trial(lease).Complete(lease.Attempt, 0.1, [new StepValue(1, 0.1)]);
        }
        var status = await TestStudies.Eventually(() => Grains.Study("stored-search").GetStatus(), s => s.State == StudyState.Finished, "the study to finish");
        Assert.Equal(12, status.Finished);
        Assert.Equal(StudyDirection.Maximize, status.Direction);
        Assert.Equal(0.7, status.Backbones.Max(b => b.BestValue!.Value), 9);
    }

    [Fact]
    public async Task A_stored_final_retrain_resumes_and_the_ensemble_follows()
    {
        var before = await Grains.Study("stored-stages").GetStatus();
        Assert.Equal(StudyState.Running, before.State);
        Assert.Equal(TrialState.Waiting, before.Backbones.Single().FinalStatus);

        var gpu = TestStudies.Worker("g-resume", simulatedOnly: false, families: "DistilBert");
        var final = await TestStudies.Eventually(() => Grains.Queue().Lease(gpu), a => a is not null && a.StudyId == "stored-stages", "the final retrain") ?? throw new InvalidOperationException();
        // Stored as a trial of backbone "distilbert~final"; read as distilbert's final retrain, under the same key.
        Assert.Equal((JobKind.FinalRetrain, "distilbert", "stored-stages/distilbert~final/0"), (final.Kind, final.Backbone, final.TrialKey));
        Assert.True(await Grains.Trial(final).Start(final.Attempt, gpu));
        await Grains.Trial(final).Complete(final.Attempt, 0.75, []);

        var ensemble = await TestStudies.Eventually(() => Grains.Queue().Lease(gpu), a => a is not null && a.StudyId == "stored-stages", "the ensemble") ?? throw new InvalidOperationException();
        Assert.Equal((JobKind.Ensemble, "", "stored-stages/~ensemble/0"), (ensemble.Kind, ensemble.Backbone, ensemble.TrialKey));
        Assert.True(await Grains.Trial(ensemble).Start(ensemble.Attempt, gpu));
        await Grains.Trial(ensemble).Complete(ensemble.Attempt, 0.8, []);

        var after = await TestStudies.Eventually(() => Grains.Study("stored-stages").GetStatus(), s => s.State == StudyState.Finished, "the study to finish");
        Assert.Equal(0.75, after.Backbones.Single().FinalValue);
        Assert.Equal(0.8, after.EnsembleValue);
        Assert.Equal(2, after.Finished);
    }

    private sealed class ToleranceComparer : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-9;
        public int GetHashCode(double obj) => 0;
    }
}
