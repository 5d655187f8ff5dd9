using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Tests.Cluster;

/// <summary>The lease/report/complete protocol, driven by hand against a real in-process cluster.</summary>
public sealed class LeaseProtocolTests(SweepTestCluster fixture) : IClassFixture<SweepTestCluster>
{
    private IGrainFactory Grains => fixture.Grains;
    private static string NewId() => "s" + Guid.NewGuid().ToString("N")[..10];

    private async Task<TrialAssignment> LeaseOne(string studyId, WorkerInfo? worker = null)
    {
        worker ??= TestStudies.Worker();
        return await TestStudies.Eventually(() => Grains.Queue().Lease(worker), a => a is not null && a.StudyId == studyId, $"a trial of {studyId}")
            ?? throw new InvalidOperationException();
    }

    [Fact]
    public async Task Submit_queues_max_parallel_trials_and_a_completion_is_counted_once()
    {
        var id = NewId();
        var status = await Grains.Study(id).Submit(TestStudies.Simulated(trials: 3, maxParallel: 2));
        Assert.Equal(2, status.Count(TrialState.Waiting));

        var lease = await LeaseOne(id);
        Assert.True(await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker()));
        Assert.Equal(ReportVerdict.Continue, await Grains.Trial(lease).Report(lease.Attempt, 1, 0.5));
        Assert.Equal(ReportVerdict.Continue, await Grains.Trial(lease).Complete(lease.Attempt, 0.4, [new StepValue(1, 0.5), new StepValue(2, 0.4)]));
        // A retried completion (the ack was lost) is acknowledged again and changes nothing.
        Assert.Equal(ReportVerdict.Continue, await Grains.Trial(lease).Complete(lease.Attempt, 0.4, [new StepValue(1, 0.5), new StepValue(2, 0.4)]));

        status = await Grains.Study(id).GetStatus();
        var backbone = Assert.Single(status.Backbones);
        Assert.Equal(1, backbone.Count(TrialState.Complete));
        Assert.Equal(0.4, backbone.BestValue);
        // The finished trial's slot was refilled: two in flight again, three created in all.
        Assert.Equal(3, backbone.Counts.Values.Sum());
        var view = await Grains.Trial(lease).GetView();
        Assert.Equal([new StepValue(1, 0.5), new StepValue(2, 0.4)], view.IntermediateValues);
    }

    [Fact]
    public async Task An_enqueued_trial_is_the_next_asked_and_is_leased_before_the_waiting_sampled_ones()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 4, maxParallel: 2)); // trials 0 and 1 wait in the queue
        var enqueued = Assert.Single(await Grains.Study(id).Enqueue(null, new Dictionary<string, string> { ["lr"] = "0.001", ["reg"] = "0.5" }));
        Assert.Equal(2, enqueued.Number);
        Assert.Equal("enqueued", enqueued.Origin);

        var first = await LeaseOne(id);
        Assert.Equal(2, first.Number); // ahead of 0 and 1, queued before it
        Assert.Equal(0.001, first.Params["lr"]);
        Assert.Equal(0.5, first.Params["reg"]);
        await Assert.ThrowsAsync<ArgumentException>(() => Grains.Study(id).Enqueue(null, new Dictionary<string, string> { ["lr"] = "7" }));
        Assert.Equal(3, (await Grains.Study(id).GetTrials()).Count); // the refused one stored nothing
    }

    [Fact]
    public async Task A_running_trials_progress_reaches_the_study_status()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1));
        var lease = await LeaseOne(id);
        Assert.True(await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker()));
        var progress = new TrialProgress { Phase = "training", Fold = 1, Folds = 3, Epoch = 2, Epochs = 4, Loss = 0.25, SamplesPerSecond = 120.5 };
        Assert.Equal(ReportVerdict.Continue, await Grains.Trial(lease).Progress(lease.Attempt, progress));
        Assert.Equal(ReportVerdict.LeaseLost, await Grains.Trial(lease).Progress(lease.Attempt + 1, progress)); // fenced like a report

        var running = Assert.Single((await Grains.Study(id).GetStatus()).Running);
        Assert.Equal(progress, running.Progress);
        Assert.Equal(6.0 / 12, running.Progress!.Fraction); // fold 1 of 0..2, epoch 2 of 4: 4 + 2 of 12 epochs
        await Grains.Trial(lease).Complete(lease.Attempt, 0.3, []);
        Assert.Empty((await Grains.Study(id).GetStatus()).Running);
    }

    [Fact]
    public async Task A_stale_offer_cannot_start_and_a_stale_attempt_cannot_report()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1));
        var lease = await LeaseOne(id);
        Assert.False(await Grains.Trial(lease).Start(lease.Attempt + 1, TestStudies.Worker()));
        Assert.True(await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker()));
        Assert.False(await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker("w2")));
        Assert.Equal(ReportVerdict.LeaseLost, await Grains.Trial(lease).Report(lease.Attempt + 1, 1, 0.3));
        Assert.Equal(ReportVerdict.LeaseLost, await Grains.Trial(lease).Complete(lease.Attempt - 1, 0.3, []));
    }

    [Fact]
    public async Task An_expired_lease_returns_the_trial_to_the_queue_and_fences_off_the_old_worker()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1, leaseSeconds: 1));
        var first = await LeaseOne(id);
        Assert.True(await Grains.Trial(first).Start(first.Attempt, TestStudies.Worker("dead")));
        Assert.Equal(ReportVerdict.Continue, await Grains.Trial(first).Report(first.Attempt, 1, 0.9));

        // No heartbeats: the lease runs out and the same trial is offered again with the next attempt.
        var second = await LeaseOne(id, TestStudies.Worker("alive"));
        Assert.Equal(first.TrialKey, second.TrialKey);
        Assert.Equal(first.Attempt + 1, second.Attempt);
        Assert.True(await Grains.Trial(second).Start(second.Attempt, TestStudies.Worker("alive")));

        Assert.Equal(ReportVerdict.LeaseLost, await Grains.Trial(first).Report(first.Attempt, 2, 0.8));
        Assert.Equal(ReportVerdict.LeaseLost, await Grains.Trial(first).Complete(first.Attempt, 0.8, []));
        Assert.Equal(ReportVerdict.Continue, await Grains.Trial(second).Complete(second.Attempt, 0.7, [new StepValue(1, 0.7)]));

        var view = await Grains.Trial(second).GetView();
        Assert.Equal(TrialState.Complete, view.Status);
        Assert.Equal(0.7, view.Value);
        Assert.Equal(2, view.Attempts);
        var status = await TestStudies.Eventually(() => Grains.Study(id).GetStatus(), s => s.State == StudyState.Finished, "the study to finish");
        Assert.Equal(1, status.Count(TrialState.Complete));
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_alive_past_its_duration()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1, leaseSeconds: 1));
        var lease = await LeaseOne(id);
        Assert.True(await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker()));
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(300, TestContext.Current.CancellationToken);
            Assert.Equal(ReportVerdict.Continue, await Grains.Trial(lease).Heartbeat(lease.Attempt));
        }
        Assert.Equal(1, (await Grains.Trial(lease).GetView()).Attempts);
    }

    [Fact]
    public async Task A_trial_whose_leases_keep_expiring_fails_after_max_attempts_and_the_study_goes_on()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 2, maxParallel: 1, leaseSeconds: 0.5, maxAttempts: 2));
        var first = await LeaseOne(id);
        await Grains.Trial(first).Start(first.Attempt, TestStudies.Worker());
        var again = await LeaseOne(id);
        Assert.Equal((first.TrialKey, 2), (again.TrialKey, again.Attempt));
        await Grains.Trial(again).Start(again.Attempt, TestStudies.Worker());

        // The second expiry spends the last attempt: failed, with the reason; the next trial is created.
        var next = await LeaseOne(id);
        Assert.NotEqual(first.TrialKey, next.TrialKey);
        var failed = await Grains.Trial(first).GetView();
        Assert.Equal(TrialState.Failed, failed.Status);
        Assert.Contains("gave up after 2 attempts", failed.Error);
    }

    [Fact]
    public async Task Released_trial_is_offered_again_at_once()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1, leaseSeconds: 60));
        var lease = await LeaseOne(id);
        await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker());
        await Grains.Trial(lease).Release(lease.Attempt);
        var again = await Grains.Queue().Lease(TestStudies.Worker("w2"));
        Assert.NotNull(again);
        Assert.Equal((lease.TrialKey, lease.Attempt + 1), (again.TrialKey, again.Attempt));
    }

    [Fact]
    public async Task Training_trials_go_only_to_workers_with_the_family_and_gpu_memory_they_need()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1, kind: WorkloadKind.Train, minGpuMemoryMb: 16000));
        // The queue is shared with the other tests' studies: drain what each worker may take and check
        // this study's training trial is never among it, until the capable worker asks.
        foreach (var worker in new[]
        {
            TestStudies.Worker("simulated-only"),
            TestStudies.Worker("small-gpu", simulatedOnly: false, gpuMemoryMb: 8000),
            TestStudies.Worker("wrong-family", simulatedOnly: false, gpuMemoryMb: 24000, "roberta"),
        })
        {
            while (await Grains.Queue().Lease(worker) is { } offered)
                Assert.True(offered.StudyId != id, $"{worker.WorkerId} was offered a trial it cannot run");
        }
        var capable = TestStudies.Worker("right", simulatedOnly: false, gpuMemoryMb: 24000, "DistilBert", "roberta");
        TrialAssignment? lease;
        do lease = await Grains.Queue().Lease(capable);
        while (lease is not null && lease.StudyId != id);
        Assert.NotNull(lease);
    }

    [Fact]
    public async Task Cancel_empties_the_queue_and_tells_running_trials_to_stop()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 5, maxParallel: 3));
        var running = await LeaseOne(id);
        await Grains.Trial(running).Start(running.Attempt, TestStudies.Worker());

        var status = await Grains.Study(id).Cancel();
        Assert.Equal(StudyState.Cancelled, status.State);
        Assert.Equal(3, status.Count(TrialState.Cancelled));
        var stats = await Grains.Queue().GetStats();
        var leaseAfter = await Grains.Queue().Lease(TestStudies.Worker("late"));
        Assert.True(leaseAfter is null || leaseAfter.StudyId != id, "a cancelled study's trial was still offered");
        Assert.Equal(ReportVerdict.Stop, await Grains.Trial(running).Report(running.Attempt, 1, 0.5));
        Assert.True(stats.Waiting >= 0);
    }

    [Fact]
    public async Task A_file_that_leaves_the_sampler_to_auto_resubmits_onto_a_study_stored_with_the_old_default()
    {
        // Stored before `kind: auto` existed: no sampler key meant tpe, and the stored spec says so without Auto.
        var id = NewId();
        var stored = TestStudies.Simulated(trials: 2, maxParallel: 1) with { Sampler = new SamplerSpec { Kind = "tpe" } };
        await Grains.Study(id).Submit(stored);
        // The same file read today: auto chooses gp for it.
        var today = stored with { Sampler = new SamplerSpec { Kind = "gp", Auto = true } };
        var again = await Grains.Study(id).Submit(today);
        Assert.Equal(1, again.Backbones.Single().Counts.Values.Sum());
        Assert.Equal("tpe", (await Grains.Study(id).GetSpec()).Sampler.Kind);
        // A kind the file names is still compared: tpe stored, gp asked for, refused.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Grains.Study(id).Submit(stored with { Sampler = new SamplerSpec { Kind = "gp" } }));
        Assert.Contains("different spec", e.Message);
        // And auto does not hide any other change.
        await Assert.ThrowsAsync<InvalidOperationException>(() => Grains.Study(id).Submit(today with { Budget = today.Budget with { TrialsPerBackbone = 9 } }));
    }

    [Fact]
    public async Task Writing_down_the_kind_auto_chose_resubmits_as_the_same_study()
    {
        // The note tells users to "set sampler.kind to choose yourself": pinning auto's choice is not a different study.
        var id = NewId();
        var chosen = TestStudies.Simulated(trials: 2, maxParallel: 1) with { Sampler = new SamplerSpec { Kind = "gp", Auto = true } };
        await Grains.Study(id).Submit(chosen);
        var again = await Grains.Study(id).Submit(chosen with { Sampler = new SamplerSpec { Kind = "gp" } });
        Assert.Equal(1, again.Backbones.Single().Counts.Values.Sum());
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Grains.Study(id).Submit(chosen with { Sampler = new SamplerSpec { Kind = "tpe" } }));
        Assert.Contains("different spec", e.Message);
    }

    [Fact]
    public async Task Resubmitting_the_same_spec_is_a_no_op_and_a_different_spec_is_refused()
    {
        var id = NewId();
        var spec = TestStudies.Simulated(trials: 2, maxParallel: 1);
        await Grains.Study(id).Submit(spec);
        var again = await Grains.Study(id).Submit(spec);
        Assert.Equal(1, again.Backbones.Single().Counts.Values.Sum());
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Grains.Study(id).Submit(spec with { Budget = spec.Budget with { TrialsPerBackbone = 9 } }));
        Assert.Contains("different spec", e.Message);
    }

    [Fact]
    public async Task A_study_finishes_with_exactly_its_budget_across_backbones()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 3, maxParallel: 2, backbones: ["a", "b"], pruner: "none"));
        var worker = TestStudies.Worker();
        for (var i = 0; i < 6; i++)
        {
            var lease = await LeaseOne(id, worker);
            await Grains.Trial(lease).Start(lease.Attempt, worker);
            await Grains.Trial(lease).Complete(lease.Attempt, lease.Number + (lease.Backbone == "a" ? 0.5 : 0.25), []);
        }
        var status = await TestStudies.Eventually(() => Grains.Study(id).GetStatus(), s => s.State == StudyState.Finished, "the study to finish");
        Assert.All(status.Backbones, b => Assert.Equal(3, b.Count(TrialState.Complete)));
        Assert.Equal(0.5, status.Backbones.Single(b => b.Backbone == "a").BestValue);
        Assert.Equal(0.25, status.Backbones.Single(b => b.Backbone == "b").BestValue);
        Assert.Null(await Grains.Queue().Lease(worker) is { } extra && extra.StudyId == id ? extra : null);
    }

    [Fact]
    public async Task A_non_finite_value_marks_the_trial_failed_with_the_reason()
    {
        var id = NewId();
        await Grains.Study(id).Submit(TestStudies.Simulated(trials: 1, maxParallel: 1));
        var lease = await LeaseOne(id);
        await Grains.Trial(lease).Start(lease.Attempt, TestStudies.Worker());
        await Grains.Trial(lease).Complete(lease.Attempt, double.NaN, []);
        var view = await Grains.Trial(lease).GetView();
        Assert.Equal(TrialState.Failed, view.Status);
        Assert.Contains("NaN", view.Error);
    }
}
