using SweepCluster.Studies;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Silo.Telemetry;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Grains;

[GenerateSerializer, Alias("sweep.TrialGrainState")]
public sealed class TrialGrainState
{
    [Id(0)] public TrialDefinition? Definition { get; set; }
    [Id(1)] public TrialState Status { get; set; } = TrialState.Waiting;
    /// <summary>Leases granted so far; the current lease's attempt number, used as a fencing token.</summary>
    [Id(2)] public int Attempts { get; set; }
    [Id(3)] public string? LeaseOwner { get; set; }
    [Id(4)] public DateTime? LeaseExpiresUtc { get; set; }
    [Id(5)] public double? Value { get; set; }
    [Id(6)] public List<StepValue> IntermediateValues { get; set; } = [];
    [Id(7)] public string? Error { get; set; }
    [Id(8)] public DateTime CreatedUtc { get; set; }
    [Id(9)] public DateTime? StartedUtc { get; set; }
    [Id(10)] public DateTime? FinishedUtc { get; set; }
}

/// <summary>
/// One trial: the authority on its status and lease. State transitions (start, finish, expiry) are
/// persisted before they are acknowledged; intermediate reports are kept in memory (the worker sends
/// the full list again with its completion), so a report costs no storage write.
/// </summary>
[GrainType("sweep.trial")]
public sealed class TrialGrain(
    [PersistentState("trial", SiloHost.StorageName)] IPersistentState<TrialGrainState> store,
    SweepMetrics metrics,
    ILogger<TrialGrain> logger) : Grain, ITrialGrain
{
    private TrialGrainState S => store.State;

    /// <summary>The worker's last progress word, for the live view: memory only, like a heartbeat, so it costs no write.</summary>
    private TrialProgress? _progress;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // A definition stored before jobs had a kind names its job in the backbone field ("B~final").
        if (S.Definition is { } stored && StudyJob.FromStored(stored.Kind, stored.Backbone) is var job && job != stored.Job)
            S.Definition = stored with { Kind = job.Kind, Backbone = job.Backbone };
        // After a silo restart the stored expiry may already be past while the worker is still alive and
        // about to heartbeat: give it one lease period of grace.
        if (S.Status is TrialState.Leased or TrialState.Running && S.Definition is { } d)
        {
            var grace = DateTime.UtcNow + d.LeaseDuration;
            if (S.LeaseExpiresUtc is null || S.LeaseExpiresUtc < grace) S.LeaseExpiresUtc = grace;
        }
        return Task.CompletedTask;
    }

    private TrialDefinition Definition =>
        S.Definition ?? throw new InvalidOperationException($"trial {this.GetPrimaryKeyString()} was never initialized");

    public async Task Initialize(TrialDefinition definition)
    {
        // A study that crashed after creating this trial but before recording it asks again: a trial no
        // worker has started may take the new parameters; a started one keeps its own.
        if (S.Definition is not null && (S.Attempts > 0 || S.Status != TrialState.Waiting)) return;
        S.Definition = definition;
        S.Status = TrialState.Waiting;
        S.CreatedUtc = DateTime.UtcNow;
        await store.WriteStateAsync();
    }

    public Task<TrialView> GetView() => Task.FromResult(View());

    private TrialView View()
    {
        var d = Definition;
        return new TrialView
        {
            StudyId = d.StudyId,
            Backbone = d.Backbone,
            Kind = d.Kind,
            Number = d.Number,
            Status = S.Status,
            Params = d.Params,
            InternalParams = d.InternalParams,
            Value = S.Value,
            IntermediateValues = S.IntermediateValues.ToArray(),
            Attempts = S.Attempts,
            LeaseOwner = S.LeaseOwner,
            LeaseExpiresUtc = S.LeaseExpiresUtc,
            Error = S.Error,
            CreatedUtc = S.CreatedUtc,
            StartedUtc = S.StartedUtc,
            FinishedUtc = S.FinishedUtc,
            Origin = d.Origin,
            Progress = S.Status is TrialState.Leased or TrialState.Running ? _progress : null,
        };
    }

    public async Task<bool> Start(int attempt, WorkerInfo worker)
    {
        if (S.Definition is null || S.Status != TrialState.Waiting || attempt != S.Attempts + 1) return false;
        S.Attempts = attempt;
        S.Status = TrialState.Leased;
        S.LeaseOwner = worker.WorkerId;
        S.LeaseExpiresUtc = DateTime.UtcNow + Definition.LeaseDuration;
        S.StartedUtc = DateTime.UtcNow;
        S.IntermediateValues.Clear();
        _progress = null;
        await store.WriteStateAsync();
        // One-way: the study creates the next trial in this one's waiting slot (lazy creation).
        if (Definition.Kind == JobKind.SearchTrial)
            GrainFactory.GetGrain<IStudyGrain>(Definition.StudyId).OnTrialStarted(Definition.Backbone, Definition.Number).Ignore();
        return true;
    }

    /// <summary>Continue when <paramref name="attempt"/> holds the lease; otherwise why it must stop.</summary>
    private ReportVerdict LeaseVerdict(int attempt)
    {
        if (S.Status == TrialState.Cancelled) return ReportVerdict.Stop;
        if (attempt != S.Attempts || S.Status is not (TrialState.Leased or TrialState.Running)) return ReportVerdict.LeaseLost;
        return ReportVerdict.Continue;
    }

    private void Renew() => S.LeaseExpiresUtc = DateTime.UtcNow + Definition.LeaseDuration;

    public Task<ReportVerdict> Heartbeat(int attempt)
    {
        var verdict = LeaseVerdict(attempt);
        if (verdict == ReportVerdict.Continue) Renew();
        return Task.FromResult(verdict);
    }

    public Task<ReportVerdict> Progress(int attempt, TrialProgress progress)
    {
        var verdict = LeaseVerdict(attempt);
        if (verdict != ReportVerdict.Continue) return Task.FromResult(verdict);
        Renew();
        _progress = progress;
        return Task.FromResult(verdict);
    }

    public async Task<ReportVerdict> Report(int attempt, int step, double value)
    {
        var verdict = LeaseVerdict(attempt);
        if (verdict != ReportVerdict.Continue) return verdict;
        Renew();
        S.Status = TrialState.Running;
        if (S.IntermediateValues.All(v => v.Step != step)) S.IntermediateValues.Add(new StepValue(step, value));

        var d = Definition;
        try
        {
            // Only a search trial has a pruner to ask; a post-search job stops when the study cancels it.
            if (d.Kind != JobKind.SearchTrial) return ReportVerdict.Continue;
            verdict = await GrainFactory.GetGrain<IStudyGrain>(d.StudyId).OnReport(d.Backbone, d.Number, step, value);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The pruner being unreachable for a moment must not stop a healthy trial.
            logger.LogWarning(e, "trial {Trial}: study did not answer a report; continuing", this.GetPrimaryKeyString());
            return ReportVerdict.Continue;
        }
        switch (verdict)
        {
            case ReportVerdict.Prune:
                await Finish(TrialState.Pruned, value, null);
                break;
            case ReportVerdict.Stop:
                await Finish(TrialState.Cancelled, null, "study cancelled");
                break;
        }
        return verdict;
    }

    public async Task<ReportVerdict> Complete(int attempt, double value, IReadOnlyList<StepValue> intermediateValues)
    {
        if (S.Status == TrialState.Complete && attempt == S.Attempts) return ReportVerdict.Continue; // a retried call
        var verdict = LeaseVerdict(attempt);
        if (verdict != ReportVerdict.Continue) return verdict;
        foreach (var v in intermediateValues)
            if (S.IntermediateValues.All(x => x.Step != v.Step)) S.IntermediateValues.Add(v);
        S.IntermediateValues.Sort((a, b) => a.Step.CompareTo(b.Step));
        // As Optuna's tell (and the search's Tell): NaN fails the trial, ±∞ is a value that ranks.
        if (!double.IsNaN(value)) await Finish(TrialState.Complete, value, null);
        else await Finish(TrialState.Failed, null, $"objective value is {value}");
        return ReportVerdict.Continue;
    }

    public async Task<ReportVerdict> Fail(int attempt, string error)
    {
        if (S.Status == TrialState.Failed && attempt == S.Attempts) return ReportVerdict.Continue;
        var verdict = LeaseVerdict(attempt);
        if (verdict != ReportVerdict.Continue) return verdict;
        await Finish(TrialState.Failed, null, error);
        return ReportVerdict.Continue;
    }

    public async Task Release(int attempt)
    {
        if (LeaseVerdict(attempt) != ReportVerdict.Continue) return;
        var requeue = await ReturnToQueue("released by worker");
        if (requeue is { } next) await GrainFactory.GetGrain<IWorkQueueGrain>(0).Enqueue(QueueEntry.For(Definition, next));
    }

    public async Task<LeaseCheck> CheckLease(int attempt)
    {
        if (S.Definition is null || S.Status.IsFinished()) return new LeaseCheck { Finished = true };
        if (S.Status == TrialState.Waiting)
        {
            // Released and re-queued under a newer attempt: the queue's record is stale.
            if (S.Attempts >= attempt) return new LeaseCheck { Finished = true };
            // Offered but never started (the worker died between lease and start): the attempt is spent.
            S.Attempts = attempt;
        }
        else
        {
            if (attempt != S.Attempts) return new LeaseCheck { Finished = true };
            if (S.LeaseExpiresUtc is { } expiry && expiry > DateTime.UtcNow) return new LeaseCheck { AliveUntilUtc = expiry };
        }
        metrics.LeaseExpired(Definition.StudyId, Definition.Job.Name);
        logger.LogWarning("trial {Trial}: lease {Attempt} held by {Owner} expired", this.GetPrimaryKeyString(), attempt, S.LeaseOwner ?? "(never started)");
        var requeue = await ReturnToQueue($"lease expired (worker {S.LeaseOwner ?? "never started it"})");
        return requeue is { } next ? new LeaseCheck { RequeueAttempt = next } : new LeaseCheck { Finished = true };
    }

    /// <summary>Back to waiting with the next attempt number, or failed when the attempts are spent.</summary>
    private async Task<int?> ReturnToQueue(string reason)
    {
        if (S.Attempts >= Definition.MaxAttempts)
        {
            await Finish(TrialState.Failed, null, $"{reason}; gave up after {S.Attempts} attempts");
            return null;
        }
        S.Status = TrialState.Waiting;
        S.LeaseOwner = null;
        S.LeaseExpiresUtc = null;
        S.IntermediateValues.Clear();
        await store.WriteStateAsync();
        return S.Attempts + 1;
    }

    public async Task Delete()
    {
        // A worker still holding the lease gets "lease lost" at its next call (no definition, no attempt), and stops.
        await store.ClearStateAsync();
        DeactivateOnIdle();
    }

    public async Task Cancel()
    {
        if (S.Definition is null || S.Status.IsFinished()) return;
        S.Status = TrialState.Cancelled;
        S.Error = "study cancelled";
        S.FinishedUtc = DateTime.UtcNow;
        S.LeaseOwner = null;
        await store.WriteStateAsync();
    }

    private async Task Finish(TrialState status, double? value, string? error)
    {
        S.Status = status;
        S.Value = value;
        S.Error = error;
        S.FinishedUtc = DateTime.UtcNow;
        S.LeaseOwner = null;
        S.LeaseExpiresUtc = null;
        await store.WriteStateAsync();

        var view = View();
        metrics.TrialFinished(view);
        GrainFactory.GetGrain<IWorkQueueGrain>(0).Finished(view.Key).Ignore();
        try
        {
            await GrainFactory.GetGrain<IStudyGrain>(view.StudyId).OnTrialFinished(view);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The result is stored; the study reads it back from this grain when it next activates or ticks.
            logger.LogWarning(e, "trial {Trial}: study not told of its {Status}; it will find it on its next tick", view.Key, status);
        }
    }
}
