using System.Globalization;
using SweepCluster.Search.Space;

namespace SweepCluster.Studies;

/// <summary>
/// The documented limits on a study's size (docs/study-spec.md, "Limits"). Every number a user writes
/// that drives a loop, an allocation, a stored row or a grain call has an upper bound here, so no study
/// can make a call, a message or a row grow without bound. <see cref="StudySpecParser"/> enforces them
/// with the key and line named (exit 2 at <c>sweep submit --check</c>); the study grain enforces them
/// again on Submit through <see cref="Problems"/>, because any client can send a spec without the parser.
/// </summary>
public static class StudyLimits
{
    /// <summary>Trials of one backbone. Optuna and Katib studies run tens to a few thousand trials; TPE's ask
    /// cost grows with the history, and a study re-reads every trial's grain when it is re-activated.</summary>
    public const int MaxTrialsPerBackbone = 10_000;

    /// <summary>Trials of a whole study, summed over backbones (checked arithmetic). `sweep trials` returns
    /// them in one grain answer: ~0.5 KB a trial keeps it near 10 MB, well under Orleans' 100 MB message cap.</summary>
    public const int MaxTrialsPerStudy = 20_000;

    /// <summary>budget.max_parallel. Trials are created lazily (only what workers can start), so the bound
    /// costs nothing by itself; it matches <see cref="MaxTrialsPerBackbone"/>, beyond any worker pool this runs.</summary>
    public const int MaxParallel = 10_000;

    /// <summary>Backbones in a study: each is a search held in memory, a final retrain job and an ensemble member.</summary>
    public const int MaxBackbones = 32;

    /// <summary>Parameters in one search space. TPE's cost is linear in them; Optuna studies rarely exceed a few dozen.</summary>
    public const int MaxParameters = 64;

    /// <summary>Choices of one categorical parameter: TPE weighs every choice on every ask.</summary>
    public const int MaxChoices = 1_000;

    /// <summary>cv_folds: a trial trains this many models.</summary>
    public const int MaxCvFolds = 20;

    /// <summary>training.epochs: reports are stored as 1000·fold + epoch (ReportPosition), so more than 999 would collide; 100 is already far past fine-tuning practice.</summary>
    public const int MaxEpochs = 100;

    /// <summary>training.batch_size and max_sequence_length bound one batch's tensors (allocated before anything is cut to the model).</summary>
    public const int MaxBatchSize = 4_096;

    /// <summary>A backbone's max_sequence_length in tokens (it is cut to the checkpoint's positions later, but allocated first).</summary>
    public const int MaxSequenceLength = 8_192;

    /// <summary>
    /// workload.steps of the simulated workload: one grain call per step, and every step's value is stored with
    /// the trial. Steps are epochs of a fold, stored as 1000·fold + epoch (ReportPosition), so 999 at most.
    /// </summary>
    public const int MaxSteps = SweepCluster.Search.Sampling.ReportPosition.MaxEpoch;

    /// <summary>workload.folds of the simulated workload: every fold's steps are stored with the trial.</summary>
    public const int MaxFolds = 20;

    /// <summary>workload.step_seconds: an hour; beyond it a simulated trial outlives any test or benchmark.</summary>
    public const double MaxStepSeconds = 3_600;

    /// <summary>trials.lease_seconds, lower bound: heartbeats run every third of the lease (every 33 ms here), so
    /// a shorter lease turns workers into a busy loop of grain calls.</summary>
    public const double MinLeaseSeconds = 0.1;

    /// <summary>trials.lease_seconds, upper bound: a day; a dead worker's trial waits this long, and TimeSpan must hold it.</summary>
    public const double MaxLeaseSeconds = 86_400;

    /// <summary>trials.max_attempts: leases of one trial; more means a broken trial retried for ever.</summary>
    public const int MaxAttempts = 100;

    /// <summary>A backbone's min_gpu_memory_mb: 1 TiB, more than any accelerator has.</summary>
    public const long MaxGpuMemoryMb = 1L << 20;

    /// <summary>Names of the study and its backbones (also part of every trial grain's storage key).</summary>
    public const int MaxNameLength = 64;

    /// <summary>Study ids (the grain key; trial keys and storage rows are built from it).</summary>
    public const int MaxStudyIdLength = 100;

    /// <summary>Any other string in a study (paths, column names, labels, string choices, keys): PATH_MAX.</summary>
    public const int MaxStringLength = 4_096;

    /// <summary>The study file itself. Everything above fits in far less; a bigger file is refused before YAML parsing.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Label columns of a multi-label study and entries of a label map.</summary>
    public const int MaxLabels = 1_000;

    /// <summary>Characters of a user's text an error message repeats (<see cref="Echo"/>).</summary>
    public const int EchoLength = 80;

    /// <summary>A count as messages print it: 20,000 (invariant culture, whatever the machine's).</summary>
    internal static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The budget of <paramref name="backbone"/>: its own <c>trials</c>, else the study's trials_per_backbone.</summary>
    public static int TrialsOf(StudySpec spec, BackboneSpec backbone) => backbone.Trials ?? spec.Budget.TrialsPerBackbone;

    /// <summary>
    /// The study's total trial budget, summed with checked arithmetic in 64 bits, so that even a spec far
    /// beyond the limits yields a number to report rather than an <see cref="OverflowException"/>.
    /// </summary>
    public static long TotalTrials(StudySpec spec) => spec.Backbones.Aggregate(0L, (sum, b) => checked(sum + TrialsOf(spec, b)));

    /// <summary>
    /// <paramref name="text"/> as an error message may repeat it: whole when short, else its first
    /// <see cref="EchoLength"/> characters and how long it was, so a 50 MB name makes a one-line error.
    /// </summary>
    public static string Echo(string? text)
    {
        if (text is null) return "";
        return text.Length <= EchoLength
            ? text
            : string.Create(CultureInfo.InvariantCulture, $"{text[..EchoLength]}… ({text.Length:N0} characters)");
    }

    /// <summary>
    /// Every limit <paramref name="spec"/> breaks, as (key path, problem) pairs in file order; empty when it is
    /// within all of them. Used by the study grain on Submit; the parser checks the same limits as it reads,
    /// with lines. Never throws for a spec's numbers (all sums are checked in 64 bits); a search space that
    /// does not parse is reported as a problem too.
    /// </summary>
    public static IReadOnlyList<(string KeyPath, string Problem)> Problems(StudySpec spec, string? studyId = null)
    {
        var problems = new List<(string, string)>();
        void Check(bool ok, string path, string problem)
        {
            if (!ok) problems.Add((path, problem));
        }
        void Range(long value, long min, long max, string path) =>
            Check(value >= min && value <= max, path, string.Create(CultureInfo.InvariantCulture, $"must be in [{min}, {max}], got {value}"));
        void Text(string? value, int max, string path) =>
            Check(value is null || value.Length <= max, path, $"must be at most {max} characters, got '{Echo(value)}'");

        // Every closed set the parser reads through: a client without the parser can send an undefined enum value
        // or an unknown kind, which would otherwise surface only when a worker or the final stage reads it.
        void Known<T>(T value, Yaml.Choices<T> choices, string path) =>
            Check(choices.Has(value), path, choices.Unknown(value?.ToString() ?? "null"));

        if (studyId is not null)
            Check(studyId.Length is > 0 and <= MaxStudyIdLength && studyId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'),
                "id", $"study id '{Echo(studyId)}' must be 1-{MaxStudyIdLength} characters of letters, digits, '-', '_' or '.'");
        Check(IsName(spec.Name), "name", $"'{Echo(spec.Name)}' must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-'");
        Text(spec.Data.Train, MaxStringLength, "data.train");
        Text(spec.Data.Test, MaxStringLength, "data.test");
        Text(spec.Data.TextColumn, MaxStringLength, "data.text_column");
        Text(spec.Data.IdColumn, MaxStringLength, "data.id_column");
        Range(spec.Data.LabelColumns.Count, 1, MaxLabels, "data.label_columns");
        foreach (var column in spec.Data.LabelColumns) Text(column, MaxStringLength, "data.label_columns");
        Range(spec.Data.LabelMap.Count, 0, MaxLabels, "data.label_map");
        foreach (var label in spec.Data.LabelMap.Keys) Text(label, MaxStringLength, "data.label_map");
        Known(spec.Data.Balancing, StudyChoices.BalancingModes, "data.balancing");
        Known(spec.Objective.Metric, StudyChoices.Metrics, "objective.metric");
        Known(spec.Objective.Direction, StudyChoices.Directions, "objective.direction");
        Known(spec.Budget.BackboneOrder, StudyChoices.BackboneOrders, "budget.backbone_order");
        Known(spec.Sampler.Kind, StudyChoices.SamplerKinds, "sampler.kind");
        Known(spec.Pruner.Kind, StudyChoices.PrunerKinds, "pruner.kind");
        Known(spec.Pruner.FoldRule, StudyChoices.FoldRules, "pruner.fold_rule");
        Known(spec.Workload.Kind, StudyChoices.WorkloadKinds, "workload.kind");
        Known(spec.Workload.CurveFamily, StudyChoices.CurveFamilies, "workload.curve_family");
        Known(spec.Final.Ensemble, StudyChoices.EnsembleKinds, "final.ensemble");
        Known(spec.Final.Models, StudyChoices.FinalModelChoices, "final.models");
        foreach (var member in spec.Final.ClassicMembers) Known(member, StudyChoices.ClassicMemberKinds, "final.classic_members");
        Range(spec.CvFolds, 1, MaxCvFolds, "cv_folds");
        Range(spec.Budget.TrialsPerBackbone, 1, MaxTrialsPerBackbone, "budget.trials_per_backbone");
        Range(spec.Budget.MaxParallel, 1, MaxParallel, "budget.max_parallel");
        if (spec.Sampler.StartupTrials is int startup) Range(startup, 0, MaxTrialsPerBackbone, "sampler.startup_trials");
        Range(spec.Pruner.StartupTrials, 0, MaxTrialsPerBackbone, "pruner.startup_trials");
        Range(spec.Training.Epochs, 1, MaxEpochs, "training.epochs");
        Range(spec.Training.EarlyStoppingPatience, 0, MaxEpochs, "training.early_stopping_patience");
        Range(spec.Training.BatchSize, 1, MaxBatchSize, "training.batch_size");
        Range(spec.Workload.Steps, 1, MaxSteps, "workload.steps");
        Range(spec.Workload.Folds, 1, MaxFolds, "workload.folds");
        Check(spec.Workload.StepSeconds is >= 0 and <= MaxStepSeconds, "workload.step_seconds",
            string.Create(CultureInfo.InvariantCulture, $"must be in [0, {MaxStepSeconds}], got {spec.Workload.StepSeconds}"));
        Check(spec.Trials.LeaseSeconds is >= MinLeaseSeconds and <= MaxLeaseSeconds, "trials.lease_seconds",
            string.Create(CultureInfo.InvariantCulture, $"must be in [{MinLeaseSeconds}, {MaxLeaseSeconds}], got {spec.Trials.LeaseSeconds}"));
        Range(spec.Trials.MaxAttempts, 1, MaxAttempts, "trials.max_attempts");
        Range(spec.Backbones.Count, 1, MaxBackbones, "backbones");
        for (var i = 0; i < spec.Backbones.Count; i++)
        {
            var b = spec.Backbones[i];
            var path = $"backbones[{i}]";
            Known(b.Family, StudyChoices.Families, path + ".family");
            Check(IsName(b.Name), path + ".name", $"'{Echo(b.Name)}' must be 1 to {MaxNameLength} letters, digits, '.', '_' or '-'");
            Text(b.Checkpoint, MaxStringLength, path + ".checkpoint");
            if (b.Trials is int trials) Range(trials, 1, MaxTrialsPerBackbone, path + ".trials");
            Range(b.MinGpuMemoryMb, 0, MaxGpuMemoryMb, path + ".min_gpu_memory_mb");
            Range(b.MaxSequenceLength, 1, MaxSequenceLength, path + ".max_sequence_length");
            SpaceProblems(b, path + ".search_space", problems);
        }
        var total = TotalTrials(spec);
        Check(total <= MaxTrialsPerStudy, "budget",
            string.Create(CultureInfo.InvariantCulture, $"the study's trials over all backbones must be at most {MaxTrialsPerStudy}, got {total}"));
        return problems;
    }

    private static void SpaceProblems(BackboneSpec backbone, string path, List<(string, string)> problems)
    {
        // Checked on the text first: parsing a huge space is itself the cost being bounded.
        if (backbone.SpaceJson.Length > MaxFileBytes)
        {
            problems.Add((path, $"must be at most {MaxFileBytes} characters of SPACE.json, got {backbone.SpaceJson.Length}"));
            return;
        }
        SearchSpace space;
        try
        {
            space = backbone.Space;
        }
        catch (Exception e) when (e is SearchSpaceException or ArgumentException or FormatException or InvalidOperationException or System.Text.Json.JsonException)
        {
            problems.Add((path, Echo(e.Message)));
            return;
        }
        if (space.Parameters.Count > MaxParameters)
            problems.Add((path, $"must have at most {MaxParameters} parameters, got {space.Parameters.Count}"));
        foreach (var p in space.Parameters)
        {
            if (p.Name.Length > MaxNameLength)
                problems.Add((path, $"parameter '{Echo(p.Name)}': names must be at most {MaxNameLength} characters"));
            if (p.Distribution is CategoricalDistribution c)
            {
                if (c.Choices.Count > MaxChoices)
                    problems.Add(($"{path}.{Echo(p.Name)}.choices", $"must have at most {MaxChoices} choices, got {c.Choices.Count}"));
                if (c.Choices.OfType<string>().FirstOrDefault(s => s.Length > MaxStringLength) is { } long_)
                    problems.Add(($"{path}.{Echo(p.Name)}.choices", $"a choice must be at most {MaxStringLength} characters, got '{Echo(long_)}'"));
            }
        }
    }

    /// <summary>A study or backbone name: 1 to <see cref="MaxNameLength"/> of A-Z a-z 0-9 . _ -.</summary>
    public static bool IsName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
