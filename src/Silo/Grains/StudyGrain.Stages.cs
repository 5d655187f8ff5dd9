using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Silo.Grains;

// After the search: each backbone whose budget is spent gets a final retrain with its best parameters
// (as soon as its own search is done), and once every final retrain has finished, the ensemble step
// runs. Both are leased jobs in trial grains (StudyJob names them), so a lost worker's job is retried
// like any trial; this grain only records which it scheduled and reads their outcome back.
public sealed partial class StudyGrain
{
    private readonly Dictionary<StudyJob, TrialView> _stageJobs = new();

    /// <summary>Training studies with final.retrain go on to the final retrain and ensemble; simulated ones end with the search.</summary>
    private bool HasPostSearchStages => Spec.Workload.Kind == WorkloadKind.Train && Spec.Final.Retrain;

    /// <summary>No trial left to ask: the budget is asked (or finalize came), and no enqueued or retried trial waits to be created.</summary>
    private bool SearchSpent(BackboneSearch run) =>
        S.Pending.All(p => p.Backbone != run.Spec.Name) && (run.Created >= run.Budget || S.FinalizeRequested);

    private TrialView? StageJob(StudyJob job) => _stageJobs.GetValueOrDefault(job);

    public async Task<StudyStatus> Finalize()
    {
        _ = Spec;
        if (S.State == StudyState.Running && !S.FinalizeRequested)
        {
            S.FinalizeRequested = true;
            await store.WriteStateAsync();
            logger.LogInformation("study {Study}: finalize requested; no new trials", StudyId);
            await FinishIfDone();
        }
        return await GetStatus();
    }

    private async Task LoadStageJobs()
    {
        var views = await Task.WhenAll(S.StageJobs.Select(name => TrialGrain(name, 0).GetView()));
        foreach (var view in views) _stageJobs[view.Job] = view;
    }

    /// <summary>Re-reads unfinished post-search jobs (a lost notification), and re-queues them after a queue restart.</summary>
    private async Task RefreshStageJobs(bool requeue)
    {
        var open = _stageJobs.Values.Where(v => !v.Status.IsFinished()).ToList();
        foreach (var job in open)
        {
            if (await ReadView(TrialGrain(job.Job.Name, 0), job, requeue) is not { } view) continue;
            _stageJobs[view.Job] = view;
            if (view.Status.IsFinished() || !requeue || S.State != StudyState.Running) continue;
            var entry = QueueEntry.For(StageDefinition(view.Job, view.Params), view.Status == TrialState.Waiting ? view.Attempts + 1 : view.Attempts);
            if (view.Status == TrialState.Waiting) await Queue.Enqueue(entry);
            else await Queue.Track(entry, view.LeaseExpiresUtc ?? DateTime.UtcNow);
        }
    }

    private async Task OnStageJobFinished(TrialView job)
    {
        if (!_stageJobs.ContainsKey(job.Job)) return;
        _stageJobs[job.Job] = job;
        logger.LogInformation("study {Study}: {Job} {Status}{Error}", StudyId, job.Job.Name, job.Status, job.Error is null ? "" : $" ({job.Error})");
        await FinishIfDone();
    }

    /// <summary>Schedules what is due; true when nothing is left to run (the study can finish).</summary>
    private async Task<bool> AdvanceStages()
    {
        var searchDone = _searches.Values.All(r => SearchSpent(r) && r.InFlightCount == 0);
        if (!HasPostSearchStages) return searchDone;
        if (Spec.Final.Models == FinalModels.Folds) return await AdvanceFoldsEnsemble(searchDone);

        foreach (var run in _searches.Values.Where(r => SearchSpent(r) && r.InFlightCount == 0))
        {
            var name = StudyJob.FinalRetrainOf(run.Spec.Name);
            if (_stageJobs.ContainsKey(name)) continue;
            if (run.Search.BestTrial is not { } best)
            {
                logger.LogWarning("study {Study}: backbone {Backbone} has no completed trial; no final retrain", StudyId, run.Spec.Name);
                continue;
            }
            var parameters = run.Search.ExternalParams(best.Params).ToDictionary();
            parameters[StudyJob.SourceTrialParam] = (long)best.Number;
            if (FinalEpochs(best.IntermediateValues) is int epochs) parameters[StudyJob.EpochsParam] = (long)epochs;
            await Schedule(name, parameters);
        }
        if (!searchDone) return false;
        var finals = _searches.Values.Select(r => StageJob(StudyJob.FinalRetrainOf(r.Spec.Name))).OfType<TrialView>().ToList();
        if (finals.Any(f => !f.Status.IsFinished())) return false;
        if (!finals.Any(f => f.Status == TrialState.Complete))
        {
            if (finals.Count > 0) logger.LogWarning("study {Study}: no final retrain completed; no ensemble", StudyId);
            return true;
        }
        if (StageJob(StudyJob.Ensemble) is not { } ensemble)
        {
            await Schedule(StudyJob.Ensemble, new Dictionary<string, object>());
            return false;
        }
        return ensemble.Status.IsFinished();
    }

    /// <summary>
    /// final.models: folds — no final retrain: once every search is done, the ensemble job runs with each
    /// backbone's best trial named in its parameters (its fold models stand for the backbone).
    /// </summary>
    private async Task<bool> AdvanceFoldsEnsemble(bool searchDone)
    {
        if (!searchDone) return false;
        if (StageJob(StudyJob.Ensemble) is { } ensemble) return ensemble.Status.IsFinished();
        var parameters = new Dictionary<string, object>();
        foreach (var run in _searches.Values)
        {
            if (run.Search.BestTrial is { } best) parameters[StudyJob.BestTrialParam(run.Spec.Name)] = (long)best.Number;
            else logger.LogWarning("study {Study}: backbone {Backbone} has no completed trial; not in the ensemble", StudyId, run.Spec.Name);
        }
        if (parameters.Count == 0 && Spec.Final.ClassicMembers.Count == 0)
        {
            logger.LogWarning("study {Study}: no completed trial; no ensemble", StudyId);
            return true;
        }
        await Schedule(StudyJob.Ensemble, parameters);
        return false;
    }

    /// <summary>
    /// The final retrain's epochs: where the best trial's folds peaked (reports keyed by stored step, read as
    /// <see cref="ReportPosition"/> (fold, epoch)), averaged over folds and rounded; null when it reported
    /// nothing, leaving the study's default.
    /// </summary>
    internal static int? FinalEpochs(IReadOnlyDictionary<int, double> reports, bool higherIsBetter = true)
    {
        if (reports.Count == 0) return null;
        var bestEpochs = reports.Select(r => (Position: ReportPosition.FromStep(r.Key), r.Value))
            .GroupBy(r => r.Position.Fold)
            .Select(fold => (higherIsBetter ? fold.OrderByDescending(r => r.Value) : fold.OrderBy(r => r.Value)).ThenBy(r => r.Position).First().Position.Epoch)
            .ToList();
        return Math.Max(1, (int)Math.Round(bestEpochs.Average(), MidpointRounding.AwayFromZero));
    }

    private int? FinalEpochs(IReadOnlyDictionary<int, double> reports) =>
        FinalEpochs(reports.ToDictionary(), Spec.Objective.Direction == StudyDirection.Maximize);

    private TrialDefinition StageDefinition(StudyJob job, IReadOnlyDictionary<string, object> parameters)
    {
        var spec = job.Kind == JobKind.Ensemble ? null : Spec.Backbones.First(b => b.Name == job.Backbone);
        return new TrialDefinition
        {
            StudyId = StudyId, Backbone = job.Backbone, Kind = job.Kind, Number = 0, Family = spec?.Family.ToString() ?? "",
            Params = parameters, InternalParams = new Dictionary<string, double>(),
            MaxAttempts = Spec.Trials.MaxAttempts, LeaseDuration = TimeSpan.FromSeconds(Spec.Trials.LeaseSeconds),
            MinGpuMemoryMb = spec?.MinGpuMemoryMb ?? 0, Simulated = false,
        };
    }

    private async Task Schedule(StudyJob job, IReadOnlyDictionary<string, object> parameters)
    {
        var definition = StageDefinition(job, parameters);
        await TrialGrain(job.Name, 0).Initialize(definition);
        S.StageJobs.Add(job.Name);
        // Recorded before queued, as trials are: a queued job is always one the study finds again.
        await store.WriteStateAsync();
        _stageJobs[job] = new TrialView
        {
            StudyId = StudyId, Backbone = job.Backbone, Kind = job.Kind, Number = 0, Status = TrialState.Waiting, Params = parameters,
            InternalParams = definition.InternalParams, IntermediateValues = [], CreatedUtc = DateTime.UtcNow,
        };
        var generation = await Queue.Enqueue(QueueEntry.For(definition, 1));
        if (generation != _queueGeneration) await SyncWithQueue(generation);
        logger.LogInformation("study {Study}: scheduled {Job} ({Params})", StudyId, job.Name, string.Join(", ", parameters.Select(p => $"{p.Key}={p.Value}")));
    }

    private void CancelStageJobs()
    {
        foreach (var job in _stageJobs.Values.Where(v => !v.Status.IsFinished()).ToList())
        {
            TrialGrain(job.Job.Name, 0).Cancel().Ignore();
            _stageJobs[job.Job] = job with { Status = TrialState.Cancelled, Error = "study cancelled" };
        }
    }

    private string StageName() =>
        S.State != StudyState.Running ? "done"
        : _stageJobs.ContainsKey(StudyJob.Ensemble) ? "ensemble"
        : _stageJobs.Count > 0 ? "final retrain"
        : "search";
}
