using System.Text.Json;
using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search;
using SweepCluster.Search.Space;
using SweepCluster.Silo.Telemetry;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Grains;

[GenerateSerializer, Alias("sweep.StudyGrainState")]
public sealed class StudyGrainState
{
    [Id(0)] public StudySpec? Spec { get; set; }
    [Id(1)] public StudyState State { get; set; } = StudyState.Running;
    [Id(2)] public DateTime CreatedUtc { get; set; }
    [Id(3)] public DateTime? FinishedUtc { get; set; }
    /// <summary>Trials created per backbone. Trial numbers are 0..n-1, so the history is re-read from them.</summary>
    [Id(4)] public Dictionary<string, int> Created { get; set; } = new(StringComparer.Ordinal);
    /// <summary>`sweep finalize`: ask no more trials; go on to the final retrain once those in flight finish.</summary>
    [Id(5)] public bool FinalizeRequested { get; set; }
    /// <summary>The post-search jobs scheduled so far, by job name (<see cref="StudyJob.Name"/>), in order.</summary>
    [Id(6)] public List<string> StageJobs { get; set; } = [];
    /// <summary>Trials a person asked for (`sweep enqueue`, `sweep retry`) and not yet created, in order.</summary>
    [Id(7)] public List<PendingTrial> Pending { get; set; } = [];
    /// <summary>Trials added on top of a backbone's budget by enqueue and retry.</summary>
    [Id(8)] public Dictionary<string, int> ExtraTrials { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A trial with parameters a person chose, waiting to be created as the backbone's next trial.</summary>
[GenerateSerializer, Alias("sweep.PendingTrial")]
public sealed class PendingTrial
{
    [Id(0)] public required string Backbone { get; set; }
    /// <summary>Internal values (categorical = choice index) of the parameters fixed; the sampler draws the rest.</summary>
    [Id(1)] public required Dictionary<string, double> InternalParams { get; set; }
    /// <summary>"enqueued" or "retry of N" (<see cref="TrialDefinition.Origin"/>).</summary>
    [Id(2)] public required string Origin { get; set; }
}

/// <summary>
/// One study. Its stored state is small (spec, status, trials created per backbone); the trial history
/// lives in the trial grains and is replayed into a fresh search on activation, which gives the same
/// next asks as before a restart because every ask is seeded by (seed, trial number).
/// </summary>
[GrainType("sweep.study")]
public sealed partial class StudyGrain(
    [PersistentState("study", SiloHost.StorageName)] IPersistentState<StudyGrainState> store,
    SweepMetrics metrics,
    ILogger<StudyGrain> logger) : Grain, IStudyGrain
{
    private const int ReplayBatch = 64;

    /// <summary>
    /// Trials a study keeps created but not yet started (waiting in the queue), over all its backbones;
    /// each backbone may hold at least <see cref="MinWaitingPerBackbone"/>. Trials are created lazily: a
    /// start (or a finish) makes room for the next, so Submit creates at most this many whatever
    /// max_parallel and the budget say, and the sampler asks each trial as late as possible, with the most
    /// history. 16 keeps an idle pool of workers busy while the study creates the next trials.
    /// </summary>
    internal const int Prefetch = 16;

    /// <summary>
    /// Waiting trials each backbone may hold whatever the number of backbones: a backbone whose workers
    /// are absent (a family nobody serves) cannot take every waiting slot from the others.
    /// </summary>
    internal const int MinWaitingPerBackbone = 2;
    private readonly Dictionary<string, BackboneSearch> _searches = new(StringComparer.Ordinal);
    private Guid _queueGeneration;

    private StudyGrainState S => store.State;
    private string StudyId => this.GetPrimaryKeyString();
    private IWorkQueueGrain Queue => GrainFactory.GetGrain<IWorkQueueGrain>(0);

    /// <summary>
    /// One backbone's search and the latest view of each of its trials (index = trial number), with the
    /// counts by status and the set in flight kept up to date, so nothing scans the whole history per call.
    /// </summary>
    private sealed class BackboneSearch(BackboneSpec spec, HyperparameterSearch search, int baseBudget)
    {
        private readonly List<TrialView> _trials = [];
        private readonly SortedSet<int> _inFlight = [];
        private readonly Dictionary<TrialState, int> _counts = [];

        public BackboneSpec Spec { get; } = spec;
        public HyperparameterSearch Search { get; } = search;
        /// <summary>The spec's trials plus those enqueue and retry added on top.</summary>
        public int Budget => baseBudget + Extra;
        public int Extra { get; set; }
        public IReadOnlyList<TrialView> Trials => _trials;
        public int Created => _trials.Count;
        public int InFlightCount => _inFlight.Count;
        public IEnumerable<TrialView> InFlight => _inFlight.Select(n => _trials[n]);
        public IReadOnlyDictionary<TrialState, int> Counts => _counts;
        public int Finished => _trials.Count - _inFlight.Count;
        /// <summary>Created trials that no worker has started yet, as far as the study knows.</summary>
        public int Waiting => _counts.GetValueOrDefault(TrialState.Waiting);

        public void Add(TrialView view)
        {
            if (view.Number != _trials.Count) throw new InvalidOperationException($"trial {view.Number} added out of order");
            _trials.Add(view);
            Count(view, +1);
        }

        public void Set(TrialView view)
        {
            Count(_trials[view.Number], -1);
            _trials[view.Number] = view;
            Count(view, +1);
        }

        private void Count(TrialView view, int delta)
        {
            _counts[view.Status] = _counts.GetValueOrDefault(view.Status) + delta;
            if (view.Status.IsInFlight() && delta > 0) _inFlight.Add(view.Number);
            else if (delta > 0) _inFlight.Remove(view.Number);
        }
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (S.Spec is null) return;
        CreateSearches(S.Spec);
        foreach (var run in _searches.Values) await Replay(run, S.Created.GetValueOrDefault(run.Spec.Name));
        await LoadStageJobs();
        // This grain may have died with the queue's silo: make sure the queue knows every trial in flight.
        if (S.State == StudyState.Running) await SyncWithQueue(await Queue.GetGeneration());
        PublishMetrics();
        logger.LogInformation("study {Study}: resumed with {Trials} trials", StudyId, _searches.Values.Sum(r => r.Created));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        metrics.ForgetStudy(StudyId);
        return Task.CompletedTask;
    }

    private void CreateSearches(StudySpec spec)
    {
        _searches.Clear();
        foreach (var backbone in spec.Backbones)
        {
            var search = HyperparameterSearch.Create(StudySearchSettings.For(spec, backbone));
            _searches[backbone.Name] = new BackboneSearch(backbone, search, backbone.Trials ?? spec.Budget.TrialsPerBackbone)
            {
                Extra = S.ExtraTrials.GetValueOrDefault(backbone.Name),
            };
        }
    }

    /// <summary>Reads trials 0..created-1 back from their grains and feeds them to the search in order.</summary>
    private async Task Replay(BackboneSearch run, int created)
    {
        for (var start = 0; start < created; start += ReplayBatch)
        {
            var batch = Enumerable.Range(start, Math.Min(ReplayBatch, created - start))
                .Select(n => TrialGrain(run.Spec.Name, n).GetView());
            foreach (var view in await Task.WhenAll(batch))
            {
                run.Search.Adopt(view.Number, view.InternalParams, view.IntermediateValues.Select(v => KeyValuePair.Create(v.Step, v.Value)));
                run.Add(view);
                if (view.Status.IsFinished()) Tell(run, view);
            }
        }
    }

    private ITrialGrain TrialGrain(string backbone, int number) =>
        GrainFactory.GetGrain<ITrialGrain>(TrialKey.Format(StudyId, backbone, number));

    public async Task<StudyStatus> Submit(StudySpec spec)
    {
        // The silo's own check of the documented limits: any client can send a spec without the parser, and
        // everything after this (comparing, rehearsing, creating trials) costs in proportion to the spec.
        var problems = StudyLimits.Problems(spec, StudyId);
        if (problems.Count > 0)
        {
            var listed = string.Join("; ", problems.Take(5).Select(p => $"{p.KeyPath}: {p.Problem}"));
            var more = problems.Count > 5 ? $" (and {problems.Count - 5} more)" : "";
            logger.LogWarning("study {Study}: refused: {Problems}", StudyLimits.Echo(StudyId), listed + more);
            throw new StudyRejectedException($"study '{StudyLimits.Echo(StudyId)}' refused, nothing was stored: {listed}{more}");
        }
        if (S.Spec is not null)
        {
            // `sampler.kind: auto` is decided once, when the study is first stored: a re-submitted file that leaves
            // the kind to auto keeps the stored sampler, including the tpe that studies stored before auto existed
            // hold, so an unchanged file stays a no-op even if auto's rule (or its measurements) changed since. Whether
            // the kind was chosen or written is never compared: writing down the kind auto chose is the same study.
            var resubmitted = spec with { Sampler = spec.Sampler with { Kind = spec.Sampler.Auto ? S.Spec.Sampler.Kind : spec.Sampler.Kind, Auto = S.Spec.Sampler.Auto } };
            if (JsonSerializer.Serialize(S.Spec) != JsonSerializer.Serialize(resubmitted))
                throw new InvalidOperationException($"study '{StudyLimits.Echo(StudyId)}' already exists with a different spec; submit under another id");
            return await GetStatus();
        }
        // Everything that can refuse the study runs before anything is stored: a study stored and then
        // unable to ask its first trial stayed "running" with 0 trials, retried every tick (issue 10).
        try
        {
            CreateSearches(spec);
            RehearseFirstAsks(spec);
        }
        catch (Exception e) when (e is SearchSpaceException or ArgumentException or InvalidOperationException
                                      or ArithmeticException or NotSupportedException or FormatException)
        {
            _searches.Clear();
            logger.LogWarning("study {Study}: refused: {Error}", StudyId, e.Message);
            throw new StudyRejectedException($"study '{StudyId}' refused, nothing was stored: {e.Message}");
        }
        S.Spec = spec;
        S.State = StudyState.Running;
        S.CreatedUtc = DateTime.UtcNow;
        try
        {
            await store.WriteStateAsync();
            await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Register(Summary());
            logger.LogInformation("study {Study}: submitted, {Backbones} backbones", StudyId, spec.Backbones.Count);
            await Fill();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await RollBack();
            throw new StudyRejectedException($"study '{StudyId}' could not be created, nothing was kept: {e.Message}");
        }
        return await GetStatus();
    }

    /// <summary>
    /// Asks, on throwaway copies of each backbone's search, the trials the first fill will ask (asks are
    /// deterministic in (seed, history), so these are the very same), and dry-runs the space through every
    /// sampler for the asks after the start-up trials.
    /// </summary>
    private void RehearseFirstAsks(StudySpec spec)
    {
        foreach (var backbone in spec.Backbones)
        {
            var settings = StudySearchSettings.For(spec, backbone);
            HyperparameterSearch.Rehearse(settings.Space);
            var probe = HyperparameterSearch.Create(settings);
            // Only what the first fill creates (a few, lazily), so this too is flat in max_parallel and the budget.
            var first = Math.Min(Math.Min(StudyLimits.TrialsOf(spec, backbone), spec.Budget.MaxParallel), WaitingCap(spec));
            for (var i = 0; i < first; i++) probe.Ask();
        }
    }

    /// <summary>Undoes a submit that failed after its state was written: no stored state, no list entry, nothing queued.</summary>
    private async Task RollBack()
    {
        logger.LogWarning("study {Study}: creation failed; removing what was stored", StudyId);
        _searches.Clear();
        S.Spec = null;
        S.Created.Clear();
        S.StageJobs.Clear();
        S.Pending.Clear();
        S.ExtraTrials.Clear();
        // Best effort each: the caller is told creation failed whatever happens here.
        try { await Queue.RemoveStudy(StudyId); } catch (Exception e) { logger.LogWarning("study {Study}: rollback: {Error}", StudyId, e.Message); }
        try { await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Unregister(StudyId); } catch (Exception e) { logger.LogWarning("study {Study}: rollback: {Error}", StudyId, e.Message); }
        try { await store.ClearStateAsync(); } catch (Exception e) { logger.LogWarning("study {Study}: rollback: {Error}", StudyId, e.Message); }
        DeactivateOnIdle();
    }

    private StudySpec Spec => S.Spec ?? throw new KeyNotFoundException($"no study '{StudyId}'");

    private StudySummary Summary() => new() { StudyId = StudyId, Name = Spec.Name, State = S.State, CreatedUtc = S.CreatedUtc };

    public Task<StudySpec> GetSpec() => Task.FromResult(Spec);

    public async Task<StudyStatus> GetStatus()
    {
        _ = Spec;
        await RefreshInFlight(requeue: false);
        var backbones = _searches.Values.Select(run =>
        {
            var best = run.Search.BestTrial;
            return new BackboneStatus
            {
                Backbone = run.Spec.Name,
                Budget = run.Budget,
                Counts = run.Counts.Where(c => c.Value > 0).ToDictionary(),
                BestValue = best?.Value,
                BestTrial = best?.Number,
                BestParams = best is null ? null : run.Search.ExternalParams(best.Params).ToDictionary(),
                NotCreated = S.State != StudyState.Running || SearchSpent(run) ? 0 : run.Budget - run.Created,
                FinalStatus = StageJob(StudyJob.FinalRetrainOf(run.Spec.Name))?.Status,
                FinalValue = StageJob(StudyJob.FinalRetrainOf(run.Spec.Name))?.Value,
            };
        }).ToList();
        return new StudyStatus
        {
            StudyId = StudyId,
            Name = Spec.Name,
            State = S.State,
            Metric = Spec.Objective.Metric,
            Direction = Spec.Objective.Direction,
            Backbones = backbones,
            CreatedUtc = S.CreatedUtc,
            FinishedUtc = S.FinishedUtc,
            Eta = EstimateRemaining(),
            Stage = StageName(),
            EnsembleStatus = StageJob(StudyJob.Ensemble)?.Status,
            EnsembleValue = StageJob(StudyJob.Ensemble)?.Value,
            // Fresh: RefreshInFlight above re-read every trial in flight from its grain.
            Running = _searches.Values.SelectMany(r => r.InFlight).Concat(_stageJobs.Values)
                .Where(t => t.Status is TrialState.Leased or TrialState.Running).ToList(),
        };
    }

    /// <summary>Time left for the search: see <see cref="EstimateRemaining(IReadOnlyList{double}, IReadOnlyList{double}, int, int)"/>.</summary>
    /// <summary>Time left for the study: the search (<see cref="EstimateSearch"/>), then the stage jobs (<see cref="EstimateStages"/>); null once it has ended.</summary>
    private TimeSpan? EstimateRemaining()
    {
        if (S.State != StudyState.Running) return null;
        var now = DateTime.UtcNow;
        var durations = _searches.Values.SelectMany(r => r.Trials).Where(t => t.Status.IsFinished() && t.Duration is not null)
            .Select(t => t.Duration!.Value.TotalSeconds).ToList();
        // Leased counts as running: a worker holds it, and its progress (sent before the first report) gives its remainder.
        var running = _searches.Values.SelectMany(r => r.InFlight).Where(t => t.Status is TrialState.Leased or TrialState.Running).ToList();
        var remainders = running.Select(t => t.StartedUtc is { } started ? t.Progress?.Remaining(started, now) : null).ToList();
        // Before any trial has finished, the mean duration is the running trials' projection (time run + time left).
        var projected = running.Zip(remainders).Where(p => p.First.StartedUtc is not null && p.Second is not null)
            .Select(p => (now - p.First.StartedUtc!.Value + p.Second!.Value).TotalSeconds).ToList();
        double? mean = durations.Count > 0 ? durations.Average() : projected.Count > 0 ? projected.Average() : null;
        // After `sweep finalize` only the trials in flight are left.
        var left = _searches.Values.Sum(r => S.FinalizeRequested ? r.InFlightCount : r.Budget - r.Finished);
        if (left > 0) return EstimateSearch(mean, remainders, Math.Max(0, left - running.Count), Spec.Budget.MaxParallel);
        // The search is spent: what is left is the stage jobs running now (final retrains, then the ensemble).
        return EstimateStages(_stageJobs.Values.Where(v => !v.Status.IsFinished())
            .Select(v => v.Status is TrialState.Leased or TrialState.Running && v.StartedUtc is { } started ? v.Progress?.Remaining(started, now) : null).ToList());
    }

    /// <summary>
    /// Time left for the search: the work left (each running trial's remainder, a mean duration for one that has
    /// not reported yet, and a mean duration per trial not started) shared over the trials that can run at once
    /// (max_parallel, at most as many as are left), and never less than the longest running remainder.
    /// <paramref name="meanSeconds"/> is the finished trials' mean duration (pruned ones included: they are part of
    /// what the rest will cost), or before any has finished the running ones' projections. Null when work is left
    /// whose size nothing tells yet.
    /// </summary>
    internal static TimeSpan? EstimateSearch(double? meanSeconds, IReadOnlyList<TimeSpan?> runningRemainders, int notStarted, int maxParallel)
    {
        if (meanSeconds is null && (notStarted > 0 || runningRemainders.Any(r => r is null))) return null;
        var running = runningRemainders.Select(r => r?.TotalSeconds ?? meanSeconds!.Value).ToList();
        var work = running.Sum() + notStarted * (meanSeconds ?? 0);
        var parallel = Math.Max(1, Math.Min(maxParallel, running.Count + notStarted));
        return TimeSpan.FromSeconds(Math.Max(running.DefaultIfEmpty(0).Max(), work / parallel));
    }

    /// <summary>
    /// Time left for the stage jobs still open, from each one's remainder (<see cref="TrialProgress.Remaining"/>):
    /// the longest, as they run side by side. Null when one has no remainder yet (waiting, or before its first
    /// epoch), since a figure that left it out would read as an answer; zero when none is open. Jobs not yet
    /// created (the ensemble, while final retrains run) are not counted.
    /// </summary>
    internal static TimeSpan? EstimateStages(IReadOnlyList<TimeSpan?> remainders)
    {
        if (remainders.Count == 0) return TimeSpan.Zero;
        return remainders.Any(r => r is null) ? null : remainders.Max();
    }

    public async Task<IReadOnlyList<TrialView>> GetTrials()
    {
        _ = Spec;
        await RefreshInFlight(requeue: false);
        return _searches.Values.SelectMany(r => r.Trials).ToList();
    }

    public async Task<StudyStatus> Cancel()
    {
        _ = Spec;
        if (S.State == StudyState.Running)
        {
            S.State = StudyState.Cancelled;
            S.FinishedUtc = DateTime.UtcNow;
            await store.WriteStateAsync();
            await Queue.RemoveStudy(StudyId);
            foreach (var run in _searches.Values)
            {
                foreach (var trial in run.InFlight.ToList())
                {
                    // Not awaited: a trial may at this moment be waiting on this grain (a report).
                    TrialGrain(run.Spec.Name, trial.Number).Cancel().Ignore();
                    run.Set(trial with { Status = TrialState.Cancelled, Error = "study cancelled" });
                }
            }
            CancelStageJobs();
            await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Update(Summary());
            PublishMetrics();
            logger.LogInformation("study {Study}: cancelled", StudyId);
        }
        return await GetStatus();
    }

    public async Task Tick()
    {
        if (S.Spec is null || S.State != StudyState.Running) return;
        await SyncWithQueue(await Queue.GetGeneration());
        await Fill();
    }

    /// <summary>
    /// Every queue answer carries its generation; a new one means the queue restarted empty, so this
    /// study re-queues its waiting trials and re-registers its leased ones. Always re-reads in-flight trials.
    /// </summary>
    private async Task SyncWithQueue(Guid generation)
    {
        var restarted = generation != _queueGeneration;
        if (restarted && _queueGeneration != Guid.Empty)
            logger.LogInformation("study {Study}: the queue restarted; re-registering the trials in flight", StudyId);
        _queueGeneration = generation;
        await RefreshInFlight(requeue: restarted);
    }

    /// <summary>
    /// Re-reads the trials in flight: picks up results whose notification was lost, and (after the queue
    /// lost its memory) puts waiting trials back in the queue and re-registers leased ones.
    /// </summary>
    private async Task RefreshInFlight(bool requeue)
    {
        await RefreshStageJobs(requeue);
        var inFlight = _searches.Values.SelectMany(r => r.InFlight.Select(t => (Run: r, Trial: t))).ToList();
        if (inFlight.Count == 0)
        {
            await FinishIfDone();
            return;
        }
        var views = await Task.WhenAll(inFlight.Select(x => ReadView(TrialGrain(x.Run.Spec.Name, x.Trial.Number), x.Trial, requeue)));
        for (var i = 0; i < views.Length; i++)
        {
            var (run, view) = (inFlight[i].Run, views[i]);
            if (view is null) continue;
            if (view.Status.IsFinished())
            {
                Apply(run, view);
                continue;
            }
            run.Set(view);
            if (!requeue || S.State != StudyState.Running) continue;
            if (view.Status == TrialState.Waiting) await Queue.Enqueue(EntryFor(run, view, view.Attempts + 1));
            else await Queue.Track(EntryFor(run, view, view.Attempts), view.LeaseExpiresUtc ?? DateTime.UtcNow);
        }
        await FinishIfDone();
    }

    /// <summary>
    /// How long a read (status, trials) waits for one trial grain before it shows that trial as last seen:
    /// a trial whose silo just died is re-placed only once membership declares the silo dead (seconds), and
    /// `sweep status` (10 s bound by default) should answer meanwhile rather than fail on one trial.
    /// </summary>
    internal static readonly TimeSpan ReadViewBound = TimeSpan.FromSeconds(4);

    /// <summary>
    /// One in-flight trial's view. A sync with the queue (<paramref name="requeue"/>) must see every trial, so
    /// its failures propagate and the sync is tried again; a read keeps <paramref name="lastSeen"/>'s state
    /// (null: nothing new) when the trial's grain does not answer within <see cref="ReadViewBound"/>.
    /// </summary>
    private async Task<TrialView?> ReadView(ITrialGrain grain, TrialView lastSeen, bool requeue)
    {
        if (requeue) return await grain.GetView();
        try
        {
            return await grain.GetView().WaitAsync(ReadViewBound);
        }
        catch (Exception e) when (e is not KeyNotFoundException)
        {
            logger.LogWarning("study {Study}: trial {Job} #{Trial} did not answer a read ({Error}); showing it as last seen",
                StudyId, lastSeen.Job.Name, lastSeen.Number, e.Message);
            return null;
        }
    }

    private QueueEntry EntryFor(BackboneSearch run, TrialView trial, int attempt) =>
        QueueEntry.For(DefinitionFor(run, trial.Number, trial.Params, trial.InternalParams, trial.Origin), attempt);

    /// <summary>What a trial of this backbone is given: its parameters plus the study's lease policy.</summary>
    private TrialDefinition DefinitionFor(BackboneSearch run, int number, IReadOnlyDictionary<string, object> parameters,
        IReadOnlyDictionary<string, double> internalParams, string? origin = null) => new()
    {
        StudyId = StudyId, Backbone = run.Spec.Name, Number = number, Family = run.Spec.Family.ToString(),
        Params = parameters, InternalParams = internalParams,
        MaxAttempts = Spec.Trials.MaxAttempts, LeaseDuration = TimeSpan.FromSeconds(Spec.Trials.LeaseSeconds),
        MinGpuMemoryMb = run.Spec.MinGpuMemoryMb, Simulated = Spec.Workload.Kind == WorkloadKind.Simulated,
        Origin = origin,
    };

    /// <summary>
    /// sampler.share_across_backbones: the other backbones' trials (in spec order) for this backbone's sampler to
    /// learn from; the sampler uses their finished ones. Null when sharing is off. Each is expressed in this
    /// backbone's space, so a categorical choice means the same choice when the backbones' choices differ.
    /// </summary>
    private IReadOnlyList<IReadOnlyList<SweepCluster.Search.Sampling.TrialRecord>>? RelatedTrials(BackboneSearch run) =>
        Spec.Sampler.ShareAcrossBackbones
            ? Spec.Backbones.Where(b => b.Name != run.Spec.Name).Select(b => _searches[b.Name].Search.TrialsIn(run.Search.Settings.Space)).ToList()
            : null;

    /// <summary>Waiting (created, not started) trials one backbone may hold: <see cref="Prefetch"/> shared out, at least <see cref="MinWaitingPerBackbone"/>.</summary>
    internal static int WaitingCap(int backbones) => Math.Max(MinWaitingPerBackbone, Prefetch / Math.Max(1, backbones));

    /// <summary>
    /// The waiting cap of one of <paramref name="spec"/>'s backbones. budget.backbone_order sequential asks one backbone at a
    /// time, so the study may hold what a one-backbone study holds, counted over all its backbones (<see cref="NextBackbone"/>).
    /// </summary>
    internal static int WaitingCap(StudySpec spec) => WaitingCap(spec.Budget.BackboneOrder == BackboneOrder.Sequential ? 1 : spec.Backbones.Count);

    /// <summary>
    /// Asks new trials while fewer than max_parallel are in flight, budget is left, and the backbone holds
    /// fewer than <see cref="WaitingCap"/> trials nobody has started: max_parallel is a ceiling on trials
    /// running, not a number of trials to create up front.
    /// </summary>
    private async Task<List<(BackboneSearch Run, TrialView Trial)>> Fill()
    {
        if (S.State != StudyState.Running) return [];
        try
        {
            return await FillSlots();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An ask the search made may not have reached its trial grain (a silo failing over). The
            // search cannot take an ask back, so start afresh: the next activation replays exactly the
            // trials that were recorded, and asks the rest again.
            logger.LogWarning("study {Study}: could not create trials ({Error}); reloading from storage", StudyId, e.Message);
            DeactivateOnIdle();
            throw;
        }
    }

    private async Task<List<(BackboneSearch Run, TrialView Trial)>> FillSlots()
    {
        var created = new List<(BackboneSearch Run, TrialView Trial)>();
        // Trials a person asked for first, whatever max_parallel and the waiting cap say: they are few and
        // explicit, and "evaluate these first" is why they were enqueued (docs/cluster.md, "Enqueue, retry, delete").
        while (S.Pending.Count > 0)
        {
            var pending = S.Pending[0];
            var run = _searches[pending.Backbone];
            var asked = run.Search.Ask(RelatedTrials(run), pending.InternalParams);
            created.Add((run, await CreateTrial(run, asked, pending.Origin)));
            S.Pending.RemoveAt(0);
        }
        var inFlight = _searches.Values.Sum(r => r.InFlightCount);
        var cap = WaitingCap(Spec);
        while (inFlight < Spec.Budget.MaxParallel)
        {
            if (NextBackbone(cap) is not { } run) break;
            var asked = run.Search.Ask(RelatedTrials(run));
            created.Add((run, await CreateTrial(run, asked, null)));
            inFlight++;
        }
        if (created.Count == 0) return created;
        foreach (var (run, _) in created) S.Created[run.Spec.Name] = run.Created;
        // Recorded before queued: a trial in the queue is always one the study will find again.
        await store.WriteStateAsync();
        var generation = _queueGeneration;
        foreach (var (run, view) in created) generation = await Queue.Enqueue(EntryFor(run, view, 1));
        if (generation != _queueGeneration) await SyncWithQueue(generation);
        PublishMetrics();
        return created;
    }

    /// <summary>
    /// The backbone whose trial is asked next, or null when none may be. budget.backbone_order interleaved: the one with
    /// the fewest waiting trials, then the one furthest behind its budget, so backbones progress together and each keeps
    /// a trial ready for its workers. sequential: the first in file order whose budget is not all asked, once no earlier
    /// backbone has a trial waiting to be started, and none while the study holds <paramref name="cap"/> waiting trials
    /// over all its backbones, so a later backbone's asks see every earlier backbone's trials (share_across_backbones);
    /// the slots an earlier backbone's last trials leave go to the next backbone once those trials have all started.
    /// </summary>
    private BackboneSearch? NextBackbone(int cap)
    {
        if (Spec.Budget.BackboneOrder == BackboneOrder.Sequential)
        {
            // The cap counts every backbone's waiting trials, not the current one's alone: otherwise each backbone whose
            // budget is under the cap hands its own full cap on, and Submit asked whole budgets of later backbones at once
            // (unbounded by Prefetch, and before any earlier trial had run).
            var order = Spec.Backbones.Select(b => _searches[b.Name]).ToList();
            var current = order.FirstOrDefault(r => !SearchSpent(r));
            if (current is null || _searches.Values.Sum(r => r.Waiting) >= cap) return null;
            // The next backbone gets a trial only once every trial of the earlier ones has been started: until then an
            // idle worker has one of theirs to take, and each ask put off sees more of the earlier backbones' results.
            return order.TakeWhile(r => r != current).Any(r => r.Waiting > 0) ? null : current;
        }
        return _searches.Values.Where(r => !SearchSpent(r) && r.Waiting < cap)
            .OrderBy(r => r.Waiting).ThenBy(r => (double)r.Created / r.Budget).FirstOrDefault();
    }

    /// <summary>Initializes the trial grain of an ask and adds its view; the caller records and queues it.</summary>
    private async Task<TrialView> CreateTrial(BackboneSearch run, AskedTrial asked, string? origin)
    {
        var definition = DefinitionFor(run, asked.Number, asked.Params, run.Search.Trials[asked.Number].Params, origin);
        await TrialGrain(run.Spec.Name, asked.Number).Initialize(definition);
        var view = new TrialView
        {
            StudyId = StudyId, Backbone = run.Spec.Name, Number = asked.Number, Status = TrialState.Waiting,
            Params = asked.Params, InternalParams = definition.InternalParams, IntermediateValues = [], CreatedUtc = DateTime.UtcNow,
            Origin = origin,
        };
        run.Add(view);
        return view;
    }

    public Task OnTrialStarted(string backbone, int number)
    {
        if (S.Spec is null || S.State != StudyState.Running) return Task.CompletedTask;
        if (!_searches.TryGetValue(backbone, out var run) || number >= run.Created) return Task.CompletedTask;
        if (run.Trials[number].Status == TrialState.Waiting) run.Set(run.Trials[number] with { Status = TrialState.Leased });
        // Its waiting slot is free: create the next trial now, not when this one finishes.
        return Fill();
    }

    public Task<ReportVerdict> OnReport(string backbone, int number, int step, double value)
    {
        if (S.State == StudyState.Cancelled) return Task.FromResult(ReportVerdict.Stop);
        if (!_searches.TryGetValue(backbone, out var run) || number >= run.Created) return Task.FromResult(ReportVerdict.Continue);
        var trial = run.Search.Trials[number];
        if (trial.IsFinished) return Task.FromResult(ReportVerdict.Continue);
        if (run.Trials[number].Status != TrialState.Running) run.Set(run.Trials[number] with { Status = TrialState.Running });
        return Task.FromResult(run.Search.Report(number, step, value) ? ReportVerdict.Prune : ReportVerdict.Continue);
    }

    public async Task OnTrialFinished(TrialView trial)
    {
        if (S.Spec is not null && trial.Kind != JobKind.SearchTrial)
        {
            await OnStageJobFinished(trial);
            return;
        }
        if (S.Spec is null || !_searches.TryGetValue(trial.Backbone, out var run) || trial.Number >= run.Created) return;
        Apply(run, trial);
        await Fill();
        await FinishIfDone();
    }

    private void Apply(BackboneSearch run, TrialView trial)
    {
        var wasFinished = run.Trials[trial.Number].Status.IsFinished();
        run.Set(trial);
        if (wasFinished && trial.Status == TrialState.Cancelled) return;
        Tell(run, trial);
        PublishMetrics();
    }

    private void Tell(BackboneSearch run, TrialView trial)
    {
        var record = run.Search.Trials[trial.Number];
        // The search holds the first outcome; a late duplicate or a cancellation cannot change it.
        if (record.IsFinished) return;
        TrialOutcome outcome = trial.Status switch
        {
            TrialState.Complete when trial.Value is double v => new TrialOutcome.Completed(v),
            TrialState.Pruned => new TrialOutcome.Pruned(),
            _ => new TrialOutcome.Failed(trial.Error),
        };
        run.Search.Tell(trial.Number, outcome, trial.IntermediateValues.Select(v => KeyValuePair.Create(v.Step, v.Value)));
    }

    private async Task FinishIfDone()
    {
        if (S.State != StudyState.Running) return;
        if (!await AdvanceStages()) return;
        S.State = StudyState.Finished;
        S.FinishedUtc = DateTime.UtcNow;
        await store.WriteStateAsync();
        await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Update(Summary());
        logger.LogInformation("study {Study}: finished", StudyId);
        PublishMetrics();
    }

    private void PublishMetrics()
    {
        foreach (var run in _searches.Values)
        {
            metrics.SetStudyBackbone(StudyId, run.Spec.Name, run.Counts.ToDictionary(), run.Search.BestTrial?.Value);
        }
    }
}
