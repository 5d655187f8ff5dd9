using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Connection.Resilience;
using SweepCluster.Worker.Workloads;

namespace SweepCluster.Worker.Leasing;

public sealed record LeaseLoopOptions
{
    public required WorkerInfo Worker { get; init; }
    /// <summary>Idle polling backs off from the first to the second value while the queue is empty.</summary>
    public TimeSpan IdlePollMin { get; init; } = TimeSpan.FromMilliseconds(100);
    public TimeSpan IdlePollMax { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan DirectoryHeartbeat { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Stop after this many trials (benchmarks and tests); null = run until cancelled.</summary>
    public int? MaxTrials { get; init; }
    /// <summary>Rewritten on every directory heartbeat (see <see cref="Leasing.HeartbeatFile"/>); null = none.</summary>
    public HeartbeatFile? HeartbeatFile { get; init; }
}

/// <summary>
/// The worker's main loop: lease a trial, claim it, run it with heartbeats, report every step, complete.
/// Every call to the cluster goes through the one resilience pipeline. On shutdown the running trial is
/// released, so another worker picks it up at once instead of after the lease expires.
/// </summary>
public sealed class LeaseLoop(
    IGrainFactory grains,
    Func<StudySpec, ITrialWorkload> workloadFor,
    ResiliencePipeline pipeline,
    LeaseLoopOptions options,
    ILogger logger)
{
    private readonly ConcurrentDictionary<string, StudySpec> _specs = new(StringComparer.Ordinal);
    private readonly WorkerInfo _worker = options.Worker;
    private int _finished;
    private volatile string? _currentTrial;

    public int TrialsFinished => _finished;

    /// <summary>
    /// Leases and runs trials until <paramref name="outer"/> is cancelled (or <see cref="LeaseLoopOptions.MaxTrials"/>).
    /// </summary>
    /// <exception cref="WorkerIdInUseException">The cluster refused this worker's id: another live process holds
    /// it. Checked before the first lease, and on every directory heartbeat (the running trial is released).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="outer"/> was cancelled while releasing a trial.</exception>
    public async Task RunAsync(CancellationToken outer)
    {
        using var refusal = CancellationTokenSource.CreateLinkedTokenSource(outer);
        var stopping = refusal.Token;
        // Register before leasing, so a duplicate id never runs a trial.
        await HeartbeatDirectoryOnceAsync();
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var directoryHeartbeat = HeartbeatDirectoryAsync(heartbeatStop.Token, refusal);
        var idle = options.IdlePollMin;
        try
        {
            while (!stopping.IsCancellationRequested && (options.MaxTrials is not int max || _finished < max))
            {
                try
                {
                    var leaseStarted = Stopwatch.GetTimestamp();
                    var assignment = await pipeline.CallAsync(() => grains.GetGrain<IWorkQueueGrain>(0).Lease(_worker), stopping);
                    WorkerMetrics.LeaseLatency.Record(Stopwatch.GetElapsedTime(leaseStarted).TotalMilliseconds);
                    if (assignment is null)
                    {
                        await Task.Delay(Jitter(idle), stopping);
                        idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, options.IdlePollMax.Ticks));
                        continue;
                    }
                    idle = options.IdlePollMin;
                    var outcome = await RunTrialAsync(assignment, stopping);
                    if (outcome is not null)
                    {
                        WorkerMetrics.TrialLifecycle.Record(Stopwatch.GetElapsedTime(leaseStarted).TotalMilliseconds);
                        WorkerMetrics.TrialsRun.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
                    }
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    // The pipeline already retried: the cluster is down or refusing. Wait and try again.
                    logger.LogWarning("worker {Worker}: cluster call failed ({Error}); retrying in {Delay} s", _worker.WorkerId, ClusterCallPipeline.Describe(e), options.IdlePollMax.TotalSeconds);
                    await Task.Delay(options.IdlePollMax, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
        }
        finally
        {
            await heartbeatStop.CancelAsync();
            await directoryHeartbeat;
            try
            {
                await grains.GetGrain<IWorkerDirectoryGrain>(0).Leave(_worker).WaitAsync(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogDebug(e, "leave not delivered");
            }
        }
        if (_refused is { } refused && !outer.IsCancellationRequested) throw refused;
    }

    private WorkerIdInUseException? _refused;

    /// <summary>Runs one leased trial; returns how it ended ("complete", "failed", "pruned", …), or null when the offer was stale.</summary>
    private async Task<string?> RunTrialAsync(TrialAssignment assignment, CancellationToken stopping)
    {
        var trial = grains.GetGrain<ITrialGrain>(assignment.TrialKey);
        var attempt = assignment.Attempt;
        if (!await pipeline.CallAsync(() => trial.Start(attempt, _worker), stopping))
        {
            logger.LogDebug("trial {Trial}: offer {Attempt} was stale", assignment.TrialKey, attempt);
            return null;
        }
        _currentTrial = assignment.TrialKey;
        var spec = await SpecFor(assignment.StudyId, stopping);
        var clock = Stopwatch.StartNew();
        logger.LogInformation("trial {Trial} attempt {Attempt}: started {Params}", assignment.TrialKey, attempt, FormatParams(assignment.Params));

        using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var reporter = new TrialReporter(trial, attempt, pipeline, run, assignment.LeaseDuration, logger, assignment.TrialKey);
        var heartbeat = HeartbeatTrialAsync(trial, attempt, assignment.LeaseDuration / 3, run);
        WorkloadResult result;
        try
        {
            result = await workloadFor(spec).RunAsync(assignment, spec, reporter, run.Token);
        }
        catch (OperationCanceledException) when (reporter.StopVerdict is { } verdict)
        {
            result = new WorkloadResult.Stopped(verdict);
        }
        catch (ClusterUnreachableException e)
        {
            // Not the trial's fault: leave it to its lease, which expires and sends it to another attempt.
            logger.LogWarning("trial {Trial}: abandoned, the cluster did not take its report ({Error}); its lease will expire", assignment.TrialKey, e.InnerException is { } inner ? ClusterCallPipeline.Describe(inner) : null);
            await run.CancelAsync();
            await heartbeat;
            _currentTrial = null;
            return "abandoned";
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            logger.LogInformation("trial {Trial}: worker stopping, releasing the trial", assignment.TrialKey);
            await run.CancelAsync();
            await heartbeat;
            await ReleaseQuietly(trial, attempt);
            _currentTrial = null;
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            result = new WorkloadResult.Failed($"{e.GetType().Name}: {e.Message}");
        }
        await run.CancelAsync();
        await heartbeat;

        switch (result)
        {
            case WorkloadResult.Completed completed:
                var ack = await CompleteDurably(trial, attempt, completed, assignment.TrialKey);
                if (ack is null) return "abandoned";
                logger.LogInformation("trial {Trial}: complete, value {Value:G5} in {Seconds:0.0} s{Note}", assignment.TrialKey, completed.Value,
                    clock.Elapsed.TotalSeconds, ack == ReportVerdict.Continue ? "" : $" (not recorded: {ack})");
                break;
            case WorkloadResult.Failed failed:
                await pipeline.CallAsync(() => trial.Fail(attempt, failed.Error), CancellationToken.None);
                logger.LogWarning("trial {Trial}: failed: {Error}", assignment.TrialKey, failed.Error);
                break;
            case WorkloadResult.Stopped stopped:
                logger.LogInformation("trial {Trial}: stopped ({Verdict}) after {Seconds:0.0} s", assignment.TrialKey, stopped.Verdict.ToString().ToLowerInvariant(), clock.Elapsed.TotalSeconds);
                break;
        }
        Interlocked.Increment(ref _finished);
        _currentTrial = null;
        return result switch
        {
            WorkloadResult.Completed => "complete",
            WorkloadResult.Failed => "failed",
            WorkloadResult.Stopped s => s.Verdict.ToString().ToLowerInvariant(),
            _ => "unknown",
        };
    }

    /// <summary>
    /// A finished result is worth waiting for: keeps trying (a silo may be restarting) for a couple of
    /// minutes before giving up; the trial then reruns when its lease expires. Null when it gave up.
    /// </summary>
    private async Task<ReportVerdict?> CompleteDurably(ITrialGrain trial, int attempt, WorkloadResult.Completed completed, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (true)
        {
            try
            {
                return await pipeline.CallAsync(() => trial.Complete(attempt, completed.Value, completed.IntermediateValues), CancellationToken.None);
            }
            catch (Exception e) when (e is not OperationCanceledException && DateTime.UtcNow < deadline)
            {
                logger.LogWarning("trial {Trial}: completion not delivered yet ({Error}); trying again", key, ClusterCallPipeline.Describe(e));
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError("trial {Trial}: completion not delivered for 2 minutes ({Error}); the trial will run again", key, ClusterCallPipeline.Describe(e));
                return null;
            }
        }
    }

    private async Task ReleaseQuietly(ITrialGrain trial, int attempt)
    {
        try
        {
            await trial.Release(attempt).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogWarning("release not delivered ({Error}); the lease will expire instead", ClusterCallPipeline.Describe(e));
        }
    }

    private async Task<StudySpec> SpecFor(string studyId, CancellationToken cancellationToken)
    {
        if (_specs.TryGetValue(studyId, out var spec)) return spec;
        spec = await pipeline.CallAsync(() => grains.GetGrain<IStudyGrain>(studyId).GetSpec(), cancellationToken);
        return _specs.GetOrAdd(studyId, spec);
    }

    /// <summary>Renews the lease; a verdict other than Continue (lease lost, cancelled) stops the run.</summary>
    private async Task HeartbeatTrialAsync(ITrialGrain trial, int attempt, TimeSpan interval, CancellationTokenSource run)
    {
        try
        {
            while (!run.IsCancellationRequested)
            {
                await Task.Delay(interval, run.Token);
                ReportVerdict verdict;
                try
                {
                    verdict = await pipeline.CallAsync(() => trial.Heartbeat(attempt), run.Token);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("heartbeat failed ({Error}); will try again", ClusterCallPipeline.Describe(e));
                    continue;
                }
                if (verdict != ReportVerdict.Continue)
                {
                    logger.LogWarning("trial heartbeat answered {Verdict}: stopping the trial", verdict);
                    await run.CancelAsync();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One directory heartbeat; an unreachable cluster is left to the next one, a refused id is thrown.</summary>
    private async Task HeartbeatDirectoryOnceAsync()
    {
        try
        {
            await grains.GetGrain<IWorkerDirectoryGrain>(0).Heartbeat(_worker, _currentTrial, _finished);
        }
        catch (WorkerIdInUseException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogDebug(e, "directory heartbeat failed");
        }
    }

    private async Task HeartbeatDirectoryAsync(CancellationToken cancellationToken, CancellationTokenSource refusal)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            BeatFile();
            try
            {
                await HeartbeatDirectoryOnceAsync();
            }
            catch (WorkerIdInUseException e)
            {
                // Another process took the id while this one was silent (e.g. the directory was rebuilt
                // after a silo restart and the other heartbeat came first): stop rather than work unseen.
                logger.LogError("worker {Worker}: {Error}; stopping", _worker.WorkerId, ClusterCallPipeline.Describe(e));
                _refused = e;
                await refusal.CancelAsync();
                return;
            }
            try
            {
                await Task.Delay(options.DirectoryHeartbeat, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Rewrites the heartbeat file; a failure is logged, not thrown (the probe will then restart the worker).</summary>
    private void BeatFile()
    {
        if (options.HeartbeatFile is not { } file) return;
        try
        {
            file.Beat(_currentTrial is { } trial ? $"running {trial}" : "idle");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("worker {Worker}: cannot write heartbeat file {Path}: {Error}", _worker.WorkerId, file.Path, e.Message);
        }
    }

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + Random.Shared.NextDouble());

    private static string FormatParams(IReadOnlyDictionary<string, object> parameters) =>
        string.Join(", ", parameters.Select(p => $"{p.Key}={(p.Value is double d ? d.ToString("G4", System.Globalization.CultureInfo.InvariantCulture) : p.Value)}"));

    /// <summary>
    /// Reports through the pipeline; a verdict other than Continue cancels the run. A report the pipeline could not
    /// deliver is tried again every <see cref="ReportRetryDelay"/> for one lease period (<paramref name="keepTrying"/>)
    /// before the trial is abandoned: a silo restart takes longer than the pipeline's retries (about 6 s), and the
    /// re-activated trial grants the lease one period of grace, so the trial goes on where it was instead of running
    /// again from its first epoch (bench/Chaos/chaos.sh lost an attempt of each trial that reported during a restart).
    /// A report is idempotent by step, so one that did arrive before its answer was lost does no harm.
    /// </summary>
    internal sealed class TrialReporter(ITrialGrain trial, int attempt, ResiliencePipeline pipeline, CancellationTokenSource run,
        TimeSpan keepTrying, ILogger logger, string trialKey) : ITrialReporter
    {
        /// <summary>The pause between undelivered reports: 2 s, as for completions.</summary>
        internal TimeSpan ReportRetryDelay { get; init; } = TimeSpan.FromSeconds(2);

        public ReportVerdict? StopVerdict { get; private set; }

        public async Task<ReportVerdict> ReportAsync(int step, double value, CancellationToken cancellationToken)
        {
            ReportVerdict verdict;
            var firstFailure = 0L;
            while (true)
            {
                try
                {
                    verdict = await pipeline.CallAsync(() => trial.Report(attempt, step, value), cancellationToken);
                    break;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    if (firstFailure == 0) firstFailure = Stopwatch.GetTimestamp();
                    if (Stopwatch.GetElapsedTime(firstFailure) >= keepTrying) throw new ClusterUnreachableException(e);
                    logger.LogWarning("trial {Trial}: report of step {Step} not delivered yet ({Error}); trying again for up to {Seconds:0} s",
                        trialKey, step, ClusterCallPipeline.Describe(e), keepTrying.TotalSeconds);
                    await Task.Delay(ReportRetryDelay, cancellationToken);
                }
            }
            if (verdict != ReportVerdict.Continue)
            {
                StopVerdict = verdict;
                await run.CancelAsync();
            }
            return verdict;
        }

        private readonly ProgressGate _gate = new();
        private Task _progressInFlight = Task.CompletedTask;

        /// <summary>
        /// Sends the word without waiting for it: a silo that stops answering must cost the trial nothing
        /// (reports and heartbeats, bounded by the pipeline, find that out). While one word is in flight the
        /// next is dropped, so a slow silo never piles them up.
        /// </summary>
        public Task ProgressAsync(TrialProgress progress, CancellationToken cancellationToken)
        {
            if (!_progressInFlight.IsCompleted || !_gate.Admit(progress, Stopwatch.GetTimestamp())) return Task.CompletedTask;
            _progressInFlight = Send(progress);
            return Task.CompletedTask;
        }

        private async Task Send(TrialProgress progress)
        {
            try
            {
                await trial.Progress(attempt, progress);
            }
            catch (Exception)
            {
                // The live view is a little stale; the lease is kept by heartbeats and reports.
            }
        }
    }
}

/// <summary>A cluster call failed even after the pipeline's retries: the trial cannot go on, through no fault of its own.</summary>
public sealed class ClusterUnreachableException(Exception inner) : Exception($"the cluster did not answer: {inner.Message}", inner);
