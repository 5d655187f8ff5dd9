using System.Diagnostics;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Grains;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Vocabulary;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>
/// Issue 11, item 1: the study grain re-validates the documented limits whatever the client sends, and
/// creates trials lazily, so Submit's cost is flat in budget.max_parallel and the budget.
/// </summary>
public sealed class StudyBoundsTests(SweepTestCluster fixture) : IClassFixture<SweepTestCluster>
{
    private IGrainFactory Grains => fixture.Grains;
    private static string NewId() => "s" + Guid.NewGuid().ToString("N")[..10];

    private async Task AssertNothingStored(string id)
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Grains.Study(id).GetStatus());
        Assert.DoesNotContain(await Grains.GetGrain<IStudyDirectoryGrain>(0).List(), s => s.StudyId == id);
    }

    [Fact]
    public async Task The_issue_11_budget_sent_without_the_parser_is_refused_and_nothing_is_stored()
    {
        // Before: accepted and stored; the call never returned and trial grains were created until storage filled.
        var id = NewId();
        var spec = TestStudies.Simulated(backbones: ["distilbert", "roberta"]) with
        {
            Budget = new BudgetSpec { TrialsPerBackbone = int.MaxValue, MaxParallel = int.MaxValue },
        };
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<StudyRejectedException>(() => Grains.Study(id).Submit(spec));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusal took {clock.Elapsed}");
        Assert.Contains("budget.trials_per_backbone: must be in [1, 10000], got 2147483647", error.Message);
        Assert.Contains("budget.max_parallel", error.Message);
        Assert.Contains("got 4294967294", error.Message); // the sum, in 64 bits, not an overflow
        Assert.Contains("nothing was stored", error.Message);
        await AssertNothingStored(id);
    }

    [Theory]
    [InlineData("lease", "trials.lease_seconds")]
    [InlineData("attempts", "trials.max_attempts")]
    [InlineData("steps", "workload.steps")]
    [InlineData("backbones", "backbones")]
    [InlineData("parameters", "backbones[0].search_space")]
    [InlineData("name", "name")]
    [InlineData("order", "budget.backbone_order")]
    [InlineData("metric", "objective.metric")]
    [InlineData("ensemble", "final.ensemble")]
    public async Task A_spec_over_any_limit_is_refused_by_the_grain(string what, string keyPath)
    {
        var spec = TestStudies.Simulated();
        spec = what switch
        {
            // 1e300 s overflowed TimeSpan inside the grain before.
            "lease" => spec with { Trials = new TrialPolicySpec { LeaseSeconds = 1e300, MaxAttempts = 3 } },
            "attempts" => spec with { Trials = new TrialPolicySpec { LeaseSeconds = 30, MaxAttempts = int.MaxValue } },
            "steps" => spec with { Workload = spec.Workload with { Steps = int.MaxValue } },
            "backbones" => spec with { Backbones = Enumerable.Range(0, 33).Select(i => spec.Backbones[0] with { Name = $"b{i}" }).ToList() },
            "parameters" => spec with
            {
                Backbones = [spec.Backbones[0] with { Space = SearchSpace.FromJson("{" + string.Join(",", Enumerable.Range(0, 65).Select(i => $"\"p{i}\":{{\"type\":\"float\",\"low\":0,\"high\":1}}")) + "}") }],
            },
            "name" => spec with { Name = new string('n', 5_000_000) },
            // Values outside a closed set: before, the grain stored them and a worker or the final stage met them later.
            "order" => spec with { Budget = spec.Budget with { BackboneOrder = (BackboneOrder)7 } },
            "metric" => spec with { Objective = spec.Objective with { Metric = "f2" } },
            "ensemble" => spec with { Final = spec.Final with { Ensemble = (EnsembleKind)9 } },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        var id = NewId();

        var error = await Assert.ThrowsAsync<StudyRejectedException>(() => Grains.Study(id).Submit(spec));

        Assert.Contains(keyPath + ":", error.Message);
        Assert.True(error.Message.Length < 1_000, $"{error.Message.Length} characters of error");
        await AssertNothingStored(id);
    }

    [Fact]
    public async Task A_1_MB_study_id_is_refused_with_its_echo_capped()
    {
        // (A grain key travels in the message header, which Orleans caps at 10 MB; a name travels in the body.)
        var id = new string('i', 1_000_000);

        var error = await Assert.ThrowsAsync<StudyRejectedException>(() => Grains.Study(id).Submit(TestStudies.Simulated()));

        Assert.Contains("id: study id 'iiii", error.Message);
        Assert.Contains("(1,000,000 characters)", error.Message);
        Assert.True(error.Message.Length < 1_000, $"{error.Message.Length} characters of error");
    }

    [Fact]
    public async Task Submit_creates_a_few_trials_whatever_max_parallel_and_the_budget()
    {
        // Before: max_parallel 3,000 cost 4.4 s and created 3,000 waiting trials inside Submit.
        var id = NewId();
        var spec = TestStudies.Simulated(trials: StudyLimits.MaxTrialsPerBackbone, maxParallel: StudyLimits.MaxParallel);

        var status = await Grains.Study(id).Submit(spec);

        var backbone = Assert.Single(status.Backbones);
        Assert.Equal(StudyGrain.Prefetch, backbone.Counts.Values.Sum());
        Assert.Equal(StudyGrain.Prefetch, backbone.Count(TrialState.Waiting));
        // `sweep status` counts the trials not yet created as waiting: the whole budget is pending.
        Assert.Equal(StudyLimits.MaxTrialsPerBackbone - StudyGrain.Prefetch, backbone.NotCreated);
        Assert.Equal(StudyLimits.MaxTrialsPerBackbone, backbone.Pending);
        Assert.Equal(StudyGrain.Prefetch, (await Grains.Study(id).GetTrials()).Count);
        await Grains.Study(id).Cancel();
    }

    /// <summary>
    /// budget.backbone_order sequential keeps the study's bound of <see cref="StudyGrain.Prefetch"/> waiting trials (docs/cluster.md),
    /// and a backbone gets trials only once the earlier ones' have all started (docs/study-spec.md): backbones of 10
    /// trials each, max_parallel 100. Submit asks a's 10 and nothing of b or c. When a worker has started all of a's,
    /// b gets trials, up to the 16 waiting. Before, each backbone had its own cap of 16, so once a had asked its budget
    /// b and c asked theirs too: 30 trials inside Submit, b's and c's asked before any of a's had started.
    /// </summary>
    [Fact]
    public async Task Submit_with_backbone_order_sequential_creates_at_most_prefetch_trials_over_all_backbones()
    {
        var id = NewId();
        var spec = TestStudies.Simulated(trials: 10, maxParallel: 100, backbones: ["a", "b", "c"]);
        spec = spec with { Budget = spec.Budget with { BackboneOrder = BackboneOrder.Sequential } };

        var status = await Grains.Study(id).Submit(spec);

        Assert.Equal(16, StudyGrain.Prefetch);
        Assert.Equal([10, 0, 0], status.Backbones.Select(b => b.Count(TrialState.Waiting)));
        Assert.Equal(10, (await Grains.Study(id).GetTrials()).Count);

        var worker = TestStudies.Worker();
        for (var i = 0; i < 10; i++)
        {
            var lease = await TestStudies.Eventually(() => Grains.Queue().Lease(worker), l => l is not null && l.StudyId == id, "a lease") ?? throw new InvalidOperationException();
            Assert.Equal("a", (await Grains.Trial(lease).GetView()).Backbone);
            Assert.True(await Grains.Trial(lease).Start(lease.Attempt, worker));
        }
        // a's trials all run (none waiting): b's are asked, at most 16 waiting, and none of c's.
        var after = await TestStudies.Eventually(() => Grains.Study(id).GetStatus(), s => s.Backbones[1].Count(TrialState.Waiting) > 0, "b's trials");
        Assert.Equal([0, 10, 0], after.Backbones.Select(b => b.Count(TrialState.Waiting)));
        await Grains.Study(id).Cancel();
    }

    [Fact]
    public async Task Starting_a_trial_creates_the_next_so_in_flight_grows_to_max_parallel_and_no_further()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 100, maxParallel: 20));
        var worker = TestStudies.Worker();

        // Start 20 trials one by one: each start frees a waiting slot that the study fills at once.
        for (var i = 0; i < 20; i++)
        {
            var lease = await TestStudies.Eventually(() => Grains.Queue().Lease(worker), a => a is not null && a.StudyId == id, "a waiting trial")
                ?? throw new InvalidOperationException();
            Assert.True(await Grains.Trial(lease).Start(lease.Attempt, worker));
        }

        // 20 in flight (all started) is max_parallel: no trial is created beyond it.
        var status = await TestStudies.Eventually(() => Grains.Study(id).GetStatus(),
            s => s.Count(TrialState.Leased) == 20, "20 trials leased");
        var backbone = Assert.Single(status.Backbones);
        Assert.Equal(20, backbone.Counts.Values.Sum());
        Assert.Equal(0, backbone.Count(TrialState.Waiting));
        Assert.Equal(80, backbone.NotCreated);
        var other = await Grains.Queue().Lease(TestStudies.Worker("w-other"));
        Assert.False(other?.StudyId == id, "a trial beyond max_parallel was queued");
        await Grains.Study(id).Cancel();
    }

    [Fact]
    public async Task A_study_with_max_parallel_far_above_its_workers_runs_to_the_end_with_each_trial_once()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 40, maxParallel: 3_000, pruner: "none"));
        var worker = TestStudies.Worker();

        for (var i = 0; i < 40; i++)
        {
            var lease = await TestStudies.Eventually(() => Grains.Queue().Lease(worker), a => a is not null && a.StudyId == id, $"trial {i}")
                ?? throw new InvalidOperationException();
            Assert.True(await Grains.Trial(lease).Start(lease.Attempt, worker));
            Assert.Equal(ReportVerdict.Continue, await Grains.Trial(lease).Complete(lease.Attempt, 0.1 * i, [new StepValue(1, 0.1 * i)]));
        }

        var status = await TestStudies.Eventually(() => Grains.Study(id).GetStatus(), s => s.State == StudyState.Finished, "the study to finish");
        Assert.Equal(40, status.Count(TrialState.Complete));
        Assert.Equal(0, status.Backbones[0].Pending);
        var trials = await Grains.Study(id).GetTrials();
        Assert.Equal(Enumerable.Range(0, 40), trials.Select(t => t.Number).Order());
    }

    [Fact]
    public async Task Each_backbone_keeps_waiting_trials_when_another_backbones_workers_are_absent()
    {
        // Waiting slots are per backbone: one whose family nobody serves cannot starve the others.
        var id = NewId();
        var spec = TestStudies.Simulated(trials: 50, maxParallel: 100, backbones: ["distilbert", "roberta"], kind: WorkloadKind.Train);
        spec = spec with { Backbones = [spec.Backbones[0], spec.Backbones[1] with { Family = BackboneFamily.Roberta }] };
        var status = await Grains.Study(id).Submit(spec);
        Assert.All(status.Backbones, b => Assert.Equal(StudyGrain.WaitingCap(2), b.Count(TrialState.Waiting)));

        // Only RoBERTa workers: the DistilBERT trials are never leased.
        var worker = TestStudies.Worker("gpu-1", simulatedOnly: false, gpuMemoryMb: 0, "Roberta");
        for (var i = 0; i < 30; i++)
        {
            var lease = await TestStudies.Eventually(() => Grains.Queue().Lease(worker), a => a is not null && a.StudyId == id, "a roberta trial")
                ?? throw new InvalidOperationException();
            Assert.True(await Grains.Trial(lease).Start(lease.Attempt, worker));
            await Grains.Trial(lease).Complete(lease.Attempt, 0.5, []);
        }
        status = await Grains.Study(id).GetStatus();
        Assert.Equal(30, status.Backbones.Single(b => b.Backbone == "roberta").Count(TrialState.Complete));
        Assert.Equal(StudyGrain.WaitingCap(2), status.Backbones.Single(b => b.Backbone == "distilbert").Count(TrialState.Waiting));
        Assert.Equal(StudyGrain.WaitingCap(2), status.Backbones.Single(b => b.Backbone == "roberta").Count(TrialState.Waiting));
        await Grains.Study(id).Cancel();
    }
}
