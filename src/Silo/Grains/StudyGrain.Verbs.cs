using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Studies;

namespace SweepCluster.Silo.Grains;

// The study verbs people reach for besides submit and cancel: enqueue (Optuna's enqueue_trial), retry
// (failed trials again) and delete. Enqueue and retry share one path: a pending trial is recorded in
// the study's state before anything else, then created by Fill as the backbone's next ask.
public sealed partial class StudyGrain
{
    internal const string EnqueuedOrigin = "enqueued";

    private static string RetryOrigin(int number) => $"retry of {number}";

    public async Task<IReadOnlyList<TrialView>> Enqueue(string? backbone, IReadOnlyDictionary<string, string> parameters)
    {
        _ = Spec;
        RefuseIfCancelled();
        var runs = RunsOf(backbone);
        // Every backbone is checked before anything is stored: all of them take the trial, or none.
        var pending = new List<PendingTrial>();
        foreach (var run in runs)
        {
            IReadOnlyDictionary<string, double> internalParams;
            try
            {
                internalParams = FixedParams.Parse(run.Search.Settings.Space, parameters);
            }
            catch (SearchSpaceException e)
            {
                // A plain ArgumentException crosses to any client; the message names the parameter.
                throw new ArgumentException(runs.Count > 1 ? $"backbone {run.Spec.Name}: {e.Message}" : e.Message);
            }
            pending.Add(new PendingTrial { Backbone = run.Spec.Name, InternalParams = internalParams.ToDictionary(), Origin = EnqueuedOrigin });
        }
        foreach (var p in pending)
        {
            // It takes the place of the next sampled trial; with the budget all asked, it comes on top.
            var run = _searches[p.Backbone];
            if (run.Created + S.Pending.Count(x => x.Backbone == p.Backbone) >= run.Budget) AddExtra(run, 1);
        }
        return await AddPending(pending);
    }

    public async Task<IReadOnlyList<TrialView>> Retry(string? backbone, int? trial)
    {
        _ = Spec;
        RefuseIfCancelled();
        var runs = RunsOf(backbone);
        var pending = new List<PendingTrial>();
        if (trial is int number)
        {
            if (runs.Count != 1) throw new ArgumentException($"the study has {runs.Count} backbones; name one with --backbone");
            var run = runs[0];
            if (number < 0 || number >= run.Created) throw new ArgumentException($"backbone {run.Spec.Name} has no trial {number} (trials 0..{run.Created - 1})");
            var view = run.Trials[number];
            if (!view.Status.IsFinished()) throw new ArgumentException($"trial {number} of {run.Spec.Name} is {view.Status.ToWire()}; only a finished trial can be retried");
            pending.Add(RetryOf(view));
        }
        else
        {
            foreach (var run in runs)
            {
                // A failed trial retried once (its retry created or still pending) is not retried again by a repeated --failed.
                var retried = run.Trials.Select(t => t.Origin).Concat(S.Pending.Where(p => p.Backbone == run.Spec.Name).Select(p => p.Origin)).ToHashSet();
                pending.AddRange(run.Trials.Where(t => t.Status == TrialState.Failed && !retried.Contains(RetryOrigin(t.Number))).Select(RetryOf));
            }
        }
        // A retry is an extra evaluation, not one of the budget's samples: the budget grows by one each.
        foreach (var group in pending.GroupBy(p => p.Backbone)) AddExtra(_searches[group.Key], group.Count());
        return await AddPending(pending);
    }

    private static PendingTrial RetryOf(TrialView view) => new()
    {
        Backbone = view.Backbone, InternalParams = view.InternalParams.ToDictionary(), Origin = RetryOrigin(view.Number),
    };

    private void AddExtra(BackboneSearch run, int count)
    {
        S.ExtraTrials[run.Spec.Name] = S.ExtraTrials.GetValueOrDefault(run.Spec.Name) + count;
        run.Extra = S.ExtraTrials[run.Spec.Name];
    }

    private void RefuseIfCancelled()
    {
        if (S.State == StudyState.Cancelled)
            throw new InvalidOperationException($"study '{StudyId}' was cancelled; submit it again under a new id to run more trials");
    }

    private List<BackboneSearch> RunsOf(string? backbone)
    {
        if (backbone is null) return _searches.Values.ToList();
        return _searches.TryGetValue(backbone, out var run)
            ? [run]
            : throw new ArgumentException($"no backbone '{backbone}' in study '{StudyId}' (its backbones: {string.Join(", ", _searches.Keys)})");
    }

    /// <summary>Records the pending trials (reopening a finished study), then creates them: the new trials, in order.</summary>
    private async Task<IReadOnlyList<TrialView>> AddPending(List<PendingTrial> pending)
    {
        if (pending.Count == 0) return []; // nothing failed (or all retried): nothing changed
        S.Pending.AddRange(pending);
        var reopened = S.State == StudyState.Finished;
        if (reopened)
        {
            S.State = StudyState.Running;
            S.FinishedUtc = null;
        }
        // Stored before any trial is created: a silo that dies now creates them on the study's next activation.
        await store.WriteStateAsync();
        if (reopened)
        {
            await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Update(Summary());
            logger.LogInformation("study {Study}: running again for {Count} enqueued or retried trials", StudyId, pending.Count);
        }
        var created = await Fill();
        return created.Where(c => c.Trial.Origin is not null).Select(c => c.Trial).ToList();
    }

    public async Task<StudyStatus> Delete(bool force)
    {
        _ = Spec;
        var status = await GetStatus();
        var running = _searches.Values.Sum(r => r.InFlight.Count(t => t.Status is TrialState.Leased or TrialState.Running))
                      + _stageJobs.Values.Count(j => j.Status is TrialState.Leased or TrialState.Running);
        if (running > 0 && !force)
            throw new InvalidOperationException($"study '{StudyId}' has {running} trial(s) running; cancel it first (sweep cancel {StudyId}) or pass --force");
        if (S.State == StudyState.Running) await Cancel();
        await Queue.RemoveStudy(StudyId);
        var trials = _searches.Values.SelectMany(r => r.Trials.Select(t => TrialGrain(r.Spec.Name, t.Number)))
            .Concat(S.StageJobs.Select(name => TrialGrain(name, 0)));
        foreach (var chunk in trials.Chunk(ReplayBatch)) await Task.WhenAll(chunk.Select(t => t.Delete()));
        await GrainFactory.GetGrain<IStudyDirectoryGrain>(0).Unregister(StudyId);
        _searches.Clear();
        _stageJobs.Clear();
        await store.ClearStateAsync();
        store.State = new StudyGrainState();
        metrics.ForgetStudy(StudyId);
        DeactivateOnIdle();
        logger.LogInformation("study {Study}: deleted", StudyId);
        return status;
    }
}
