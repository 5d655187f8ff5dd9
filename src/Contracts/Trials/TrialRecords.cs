using SweepCluster.Search.Sampling;
using SweepCluster.Studies;

namespace SweepCluster.Contracts.Trials;

/// <summary>Trial grain keys are "{studyId}/{backbone}/{number}": readable in storage and logs.</summary>
public static class TrialKey
{
    public static string Format(string studyId, string backbone, int number) => $"{studyId}/{backbone}/{number}";

    public static (string StudyId, string Backbone, int Number) Parse(string key)
    {
        var parts = key.Split('/');
        if (parts.Length != 3 || !int.TryParse(parts[2], out var number))
            throw new FormatException($"'{key}' is not a trial key (study/backbone/number)");
        return (parts[0], parts[1], number);
    }
}

/// <summary>What a study hands a new trial grain: everything needed to run it and to rebuild the search.</summary>
[GenerateSerializer, Alias("sweep.TrialDefinition"), Immutable]
public sealed record TrialDefinition
{
    [Id(0)] public required string StudyId { get; init; }
    /// <summary>The backbone the job belongs to (empty for the ensemble); never a job name.</summary>
    [Id(1)] public required string Backbone { get; init; }
    [Id(2)] public required int Number { get; init; }
    /// <summary>Parameter values as the worker uses them (double, long, string or bool).</summary>
    [Id(3)] public required IReadOnlyDictionary<string, object> Params { get; init; }
    /// <summary>The sampler's internal representation (categorical = choice index), to replay the search.</summary>
    [Id(4)] public required IReadOnlyDictionary<string, double> InternalParams { get; init; }
    [Id(5)] public required int MaxAttempts { get; init; }
    [Id(6)] public required TimeSpan LeaseDuration { get; init; }
    [Id(7)] public long MinGpuMemoryMb { get; init; }
    [Id(8)] public required string Family { get; init; }
    /// <summary>Runs the simulated workload: any worker may lease it.</summary>
    [Id(9)] public bool Simulated { get; init; }
    /// <summary>
    /// Why this trial has the parameters it has, when a person chose them: "enqueued" (`sweep enqueue`) or
    /// "retry of N" (`sweep retry`). Null for trials the sampler asked. Such trials go to the front of the queue.
    /// </summary>
    [Id(11)] public string? Origin { get; init; }
    /// <summary>A search trial, a final retrain or the ensemble (stored definitions without it: see <see cref="StudyJob.FromStored"/>).</summary>
    [Id(10)] public JobKind Kind { get; init; }

    /// <summary>The job this trial grain runs.</summary>
    public StudyJob Job => new(Kind, Backbone);

    /// <summary>The trial grain's key.</summary>
    public string Key => TrialKey.Format(StudyId, Job.Name, Number);
}

/// <summary>A trial as people and the study see it.</summary>
[GenerateSerializer, Alias("sweep.TrialView"), Immutable]
public sealed record TrialView
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required string Backbone { get; init; }
    [Id(2)] public required int Number { get; init; }
    [Id(3)] public required TrialState Status { get; init; }
    [Id(4)] public required IReadOnlyDictionary<string, object> Params { get; init; }
    [Id(5)] public required IReadOnlyDictionary<string, double> InternalParams { get; init; }
    [Id(6)] public double? Value { get; init; }
    /// <summary>Step → reported value, in step order.</summary>
    [Id(7)] public required IReadOnlyList<StepValue> IntermediateValues { get; init; }
    [Id(8)] public int Attempts { get; init; }
    [Id(9)] public string? LeaseOwner { get; init; }
    [Id(10)] public DateTime? LeaseExpiresUtc { get; init; }
    [Id(11)] public string? Error { get; init; }
    [Id(12)] public DateTime CreatedUtc { get; init; }
    [Id(13)] public DateTime? StartedUtc { get; init; }
    [Id(14)] public DateTime? FinishedUtc { get; init; }
    /// <summary>See <see cref="TrialDefinition.Origin"/>: "enqueued", "retry of N", or null when sampled.</summary>
    [Id(16)] public string? Origin { get; init; }
    /// <summary>What a running trial last said it was doing (<see cref="TrialProgress"/>); null before its first word and once finished.</summary>
    [Id(17)] public TrialProgress? Progress { get; init; }
    [Id(15)] public JobKind Kind { get; init; }

    /// <summary>The job this trial is.</summary>
    public StudyJob Job => new(Kind, Backbone);

    public string Key => TrialKey.Format(StudyId, Job.Name, Number);
    public TimeSpan? Duration => StartedUtc is { } s && FinishedUtc is { } f ? f - s : null;
}

/// <summary>
/// Where a running trial is and how fast it goes, as its worker last reported it: for the live view
/// (`sweep watch`, `sweep up --until-done`). Soft state: kept in the trial grain's memory, never stored.
/// </summary>
[GenerateSerializer, Alias("sweep.TrialProgress"), Immutable]
public sealed record TrialProgress
{
    /// <summary>What the worker is doing: "tokenising", "training", "evaluating"...</summary>
    [Id(0)] public required string Phase { get; init; }
    /// <summary>0-based fold of k-fold cross-validation (0 without folds).</summary>
    [Id(1)] public int Fold { get; init; }
    /// <summary>Folds in all (1 without folds).</summary>
    [Id(2)] public int Folds { get; init; } = 1;
    /// <summary>Epochs finished in this fold (0 before the first ends).</summary>
    [Id(3)] public int Epoch { get; init; }
    /// <summary>Epochs per fold at most (early stopping may end a fold sooner); 0 when unknown.</summary>
    [Id(4)] public int Epochs { get; init; }
    /// <summary>The last epoch's mean training loss; null when the workload has none.</summary>
    [Id(5)] public double? Loss { get; init; }
    /// <summary>Training throughput of the last epoch, in samples per second; null when the workload has none.</summary>
    [Id(6)] public double? SamplesPerSecond { get; init; }
    /// <summary>When the worker sent it (its clock).</summary>
    [Id(7)] public DateTime UpdatedUtc { get; init; }

    /// <summary>
    /// The share of the epoch after <see cref="Epoch"/> already trained, in [0, 1): batches done ÷ batches in the epoch,
    /// sent during an epoch so that a long one (a one-epoch fold, a final retrain) shows progress and a time left
    /// before it ends. 0 at epoch ends and from workers that send progress only then.
    /// </summary>
    [Id(8)] public double EpochFraction { get; init; }

    /// <summary>
    /// The share of the trial's epochs done, in [0, 1]: (Fold·Epochs + Epoch + EpochFraction) ÷ (Folds·Epochs); null when
    /// the number of epochs is unknown.
    /// </summary>
    public double? Fraction => Epochs > 0 && Folds > 0
        ? Math.Clamp((Fold * Epochs + Epoch + Math.Clamp(EpochFraction, 0, 1)) / (Folds * Epochs), 0, 1)
        : null;

    /// <summary>
    /// Time left for the trial that started at <paramref name="startedUtc"/>, counting down between reports: at
    /// <see cref="UpdatedUtc"/> the time run so far × (1 − done) ÷ done (done = <see cref="Fraction"/>), less the
    /// time since, and never below zero. Null before the first epoch ends or when the number of epochs is unknown.
    /// Measured from the last report rather than from now, because between reports the share done stands still
    /// while the time run grows, and the figure would climb until the next epoch.
    /// </summary>
    public TimeSpan? Remaining(DateTime startedUtc, DateTime nowUtc)
    {
        if (Fraction is not double done || done <= 0) return null;
        // A progress without its time (older workers) is taken as of now.
        var reported = UpdatedUtc > startedUtc && UpdatedUtc <= nowUtc ? UpdatedUtc : nowUtc;
        var elapsed = reported - startedUtc;
        if (elapsed <= TimeSpan.Zero) return null;
        var left = elapsed * ((1 - done) / done) - (nowUtc - reported);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}

[GenerateSerializer, Alias("sweep.StepValue"), Immutable]
public readonly record struct StepValue([property: Id(0)] int Step, [property: Id(1)] double Value);

/// <summary>The trial's answer to a report or heartbeat.</summary>
public enum ReportVerdict
{
    Continue,
    /// <summary>The pruner stopped the trial: the worker stops at once; the trial is pruned.</summary>
    Prune,
    /// <summary>The study was cancelled: stop, nothing more is recorded.</summary>
    Stop,
    /// <summary>This worker no longer holds the lease (it expired and was given to another): stop, discard.</summary>
    LeaseLost,
}

/// <summary>What the queue gives a worker. <see cref="Attempt"/> is the fencing token for every later call.</summary>
[GenerateSerializer, Alias("sweep.TrialAssignment"), Immutable]
public sealed record TrialAssignment
{
    [Id(0)] public required string StudyId { get; init; }
    [Id(1)] public required string Backbone { get; init; }
    [Id(2)] public required int Number { get; init; }
    [Id(3)] public required int Attempt { get; init; }
    [Id(4)] public required IReadOnlyDictionary<string, object> Params { get; init; }
    [Id(5)] public required TimeSpan LeaseDuration { get; init; }
    [Id(6)] public JobKind Kind { get; init; }

    /// <summary>The job to run: a search trial of <see cref="Backbone"/>, its final retrain, or the ensemble.</summary>
    public StudyJob Job => new(Kind, Backbone);

    public string TrialKey => Trials.TrialKey.Format(StudyId, Job.Name, Number);
}

/// <summary>A worker's description of itself, used for capability matching and `sweep workers`.</summary>
[GenerateSerializer, Alias("sweep.WorkerInfo"), Immutable]
public sealed record WorkerInfo
{
    [Id(0)] public required string WorkerId { get; init; }
    [Id(1)] public string Host { get; init; } = "";
    [Id(2)] public int ProcessId { get; init; }
    /// <summary>Backbone families this worker can run; empty = all.</summary>
    [Id(3)] public IReadOnlyList<string> Families { get; init; } = [];
    [Id(4)] public long GpuMemoryMb { get; init; }
    /// <summary>"cuda", "cpu" or "simulated".</summary>
    [Id(5)] public string Device { get; init; } = "cpu";
    /// <summary>Whether it runs only simulated workloads (then it never leases training trials).</summary>
    [Id(6)] public bool SimulatedOnly { get; init; }
    /// <summary>
    /// The process behind this worker, unique per process: host, pid and start time (see
    /// <c>WorkerProcess.InstanceId</c>). The worker directory refuses a <see cref="WorkerId"/> that a live
    /// worker of another instance holds. Empty from workers that predate it (never refused).
    /// </summary>
    [Id(7)] public string Instance { get; init; } = "";
}

[GenerateSerializer, Alias("sweep.WorkerView"), Immutable]
public sealed record WorkerView
{
    [Id(0)] public required WorkerInfo Info { get; init; }
    [Id(1)] public DateTime FirstSeenUtc { get; init; }
    [Id(2)] public DateTime LastSeenUtc { get; init; }
    [Id(3)] public string? CurrentTrial { get; init; }
    [Id(4)] public int TrialsFinished { get; init; }
    [Id(5)] public bool Connected { get; init; }
}

/// <summary>The result of asking a trial about a lease the queue believes has expired.</summary>
[GenerateSerializer, Alias("sweep.LeaseCheck"), Immutable]
public sealed record LeaseCheck
{
    /// <summary>Still held (heartbeats extended it): check again at this time.</summary>
    [Id(0)] public DateTime? AliveUntilUtc { get; init; }
    /// <summary>Expired and sent back to waiting: the queue re-offers it with this attempt number.</summary>
    [Id(1)] public int? RequeueAttempt { get; init; }
    /// <summary>Finished (or failed for too many attempts): forget it.</summary>
    [Id(2)] public bool Finished { get; init; }
}
