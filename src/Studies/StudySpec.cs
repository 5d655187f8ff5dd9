using System.Runtime.Serialization;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Vocabulary;

namespace SweepCluster.Studies;

/// <summary>
/// A validated study, as parsed from study.yaml by <see cref="StudySpecParser"/> (docs/study-spec.md
/// is the schema). Each backbone carries its search space typed (<see cref="BackboneSpec.Space"/>), already
/// merged with its overrides; it is stored and sent as src/Search's SPACE.json text.
/// </summary>
[GenerateSerializer, Alias("sweep.StudySpec"), Immutable]
public sealed record StudySpec
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required DataSpec Data { get; init; }
    [Id(2)] public required IReadOnlyList<BackboneSpec> Backbones { get; init; }
    [Id(3)] public ObjectiveSpec Objective { get; init; } = new();
    /// <summary>Stratified k-fold cross-validation folds per trial (1 = a single stratified split).</summary>
    [Id(4)] public int CvFolds { get; init; } = 5;
    [Id(5)] public required BudgetSpec Budget { get; init; }
    [Id(6)] public SamplerSpec Sampler { get; init; } = new();
    [Id(7)] public PrunerSpec Pruner { get; init; } = new();
    [Id(8)] public FinalSpec Final { get; init; } = new();
    [Id(9)] public TrainingSpec Training { get; init; } = new();
    [Id(10)] public WorkloadSpec Workload { get; init; } = new();
    [Id(11)] public TrialPolicySpec Trials { get; init; } = new();
    /// <summary>The study seed: sampler streams, fold splits and training seeds derive from it.</summary>
    [Id(12)] public int Seed { get; init; }

    public BackboneSpec Backbone(string name) =>
        Backbones.FirstOrDefault(b => b.Name == name) ?? throw new KeyNotFoundException($"backbone '{name}' is not in study '{Name}'");
}

[GenerateSerializer, Alias("sweep.DataSpec"), Immutable]
public sealed record DataSpec
{
    /// <summary>Training CSV/TSV (relative paths are resolved against the study file's folder).</summary>
    [Id(0)] public required string Train { get; init; }
    /// <summary>Optional file to predict after the final retrain (no labels needed).</summary>
    [Id(1)] public string? Test { get; init; }
    [Id(2)] public string TextColumn { get; init; } = "text";
    /// <summary>One column for binary/multi-class; several for multi-label (e.g. the six Jigsaw labels).</summary>
    [Id(3)] public IReadOnlyList<string> LabelColumns { get; init; } = ["label"];
    /// <summary>Raw label value → class index (e.g. EXTREMIST → 1). Empty: labels are already 0..K-1.</summary>
    [Id(4)] public IReadOnlyDictionary<string, int> LabelMap { get; init; } = new Dictionary<string, int>();
    [Id(5)] public double HoldoutFraction { get; init; } = 0.2;
    [Id(6)] public Balancing Balancing { get; init; } = Balancing.None;
    /// <summary>Column delimiter; null = from the extension (.tsv → tab, else comma).</summary>
    [Id(7)] public string? Delimiter { get; init; }
    [Id(8)] public string? IdColumn { get; init; }
    /// <summary>Rows whose cleaned text is shorter than this many characters are dropped.</summary>
    [Id(9)] public int MinTextLength { get; init; } = 1;
}

[GenerateSerializer, Alias("sweep.BackboneSpec"), Immutable]
public sealed record BackboneSpec
{
    /// <summary>The name trials and reports use (unique in the study), e.g. "distilbert".</summary>
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public required BackboneFamily Family { get; init; }
    /// <summary>Folder with config.json, tokenizer files and weights (may be empty for the simulated workload).</summary>
    [Id(2)] public string? Checkpoint { get; init; }
    /// <summary>
    /// This backbone's effective search space (the study's merged with its overrides), typed: the parser's
    /// search space itself, passed on to the search, the preflight and the simulated workload unparsed. Every
    /// backbone sets it (not marked required only because System.Text.Json refuses a required member it ignores).
    /// </summary>
    /// <remarks>Not stored (<see cref="SpaceJson"/> is): JSON storage (Newtonsoft) and JSON comparisons (System.Text.Json) skip it too.</remarks>
    [IgnoreDataMember, System.Text.Json.Serialization.JsonIgnore]
    public SearchSpace Space
    {
        // A spec that crossed the wire or came from storage holds only the text: parsed on first use, once per copy.
        get => _space ??= SearchSpace.FromJson(_spaceJson);
        init
        {
            _space = value;
            _spaceJson = value.ToJson();
        }
    }

    /// <summary>
    /// The space as stored and sent (SPACE.json text, <see cref="SearchSpace.ToJson"/>): grain state holds
    /// this string at this id. Code reads <see cref="Space"/>; this is for storage, the wire and the limits,
    /// which bound its size before parsing it.
    /// </summary>
    public string SpaceJson
    {
        get => _spaceJson;
        init
        {
            _spaceJson = value;
            _space = null;
        }
    }

    // Orleans reads and writes the field (it cannot call an init accessor with a body); JSON storage the property.
    [Id(3)] private string _spaceJson = "{}";
    [NonSerialized] private SearchSpace? _space;

    /// <summary>Workers with less GPU memory (MiB) do not lease this backbone's trials. 0 = any worker.</summary>
    [Id(4)] public long MinGpuMemoryMb { get; init; }
    /// <summary>Overrides the study's trials_per_backbone when set.</summary>
    [Id(5)] public int? Trials { get; init; }
    [Id(6)] public int MaxSequenceLength { get; init; } = 128;

    /// <summary>Value equality on what is stored (the parsed space is a cache of the text, not part of the value).</summary>
    public bool Equals(BackboneSpec? other) =>
        other is not null && Name == other.Name && Family == other.Family && Checkpoint == other.Checkpoint
        && _spaceJson == other._spaceJson && MinGpuMemoryMb == other.MinGpuMemoryMb && Trials == other.Trials
        && MaxSequenceLength == other.MaxSequenceLength;

    public override int GetHashCode() => HashCode.Combine(Name, Family, Checkpoint, _spaceJson, MinGpuMemoryMb, Trials, MaxSequenceLength);
}

[GenerateSerializer, Alias("sweep.ObjectiveSpec"), Immutable]
public sealed record ObjectiveSpec
{
    /// <summary>f1 | accuracy | precision | recall | roc_auc | loss (macro over labels for multi-label).</summary>
    [Id(0)] public string Metric { get; init; } = "f1";
    [Id(1)] public StudyDirection Direction { get; init; } = StudyDirection.Maximize;
}

[GenerateSerializer, Alias("sweep.BudgetSpec"), Immutable]
public sealed record BudgetSpec
{
    [Id(0)] public required int TrialsPerBackbone { get; init; }
    /// <summary>Trials of this study waiting or running at once, over all backbones.</summary>
    [Id(1)] public int MaxParallel { get; init; } = 4;
    /// <summary>
    /// Which backbone the next trial goes to: all progressing together (the default), or one after another in file
    /// order, so that with sampler.share_across_backbones every later backbone starts from the earlier ones' trials
    /// (bench/Hpo/GP.md measures both). Stored studies from before the key read as <see cref="BackboneOrder.Interleaved"/>.
    /// </summary>
    [Id(2)] public BackboneOrder BackboneOrder { get; init; }
}

/// <summary>The order in which a study's backbones get trials (<c>budget.backbone_order</c>).</summary>
public enum BackboneOrder
{
    /// <summary>The backbone with the fewest waiting trials, then the one furthest behind its budget, goes next.</summary>
    Interleaved = 0,
    /// <summary>The first backbone in file order whose budget is not all asked goes next; the rest wait for it.</summary>
    Sequential = 1,
}

[GenerateSerializer, Alias("sweep.SamplerSpec"), Immutable]
public sealed record SamplerSpec
{
    /// <summary>tpe | tpe_multivariate | gp | random: a name of <see cref="SamplerSettings.KindNames"/>, kept as the name because stored studies hold it so.</summary>
    [Id(0)] public string Kind { get; init; } = SamplerSettings.KindName(new SamplerSettings().Kind);
    [Id(1)] public int? StartupTrials { get; init; }
    /// <summary>Each backbone's sampler also learns from the other backbones' finished trials (no effect with one backbone).</summary>
    [Id(2)] public bool ShareAcrossBackbones { get; init; }
    /// <summary>The study file said <c>kind: auto</c> (or nothing) and <see cref="AutoSampler"/> chose <see cref="Kind"/>.</summary>
    [Id(3)] public bool Auto { get; init; }
}

[GenerateSerializer, Alias("sweep.PrunerSpec"), Immutable]
public sealed record PrunerSpec
{
    /// <summary>
    /// none | median | percentile | extrapolating (<see cref="PrunerSettings.KindNames"/>). A study prunes with the
    /// median rule unless told otherwise (docs/study-spec.md), where a bare search prunes nothing: the one default
    /// that is the study file's own. The numbers below are Search's defaults.
    /// </summary>
    [Id(0)] public string Kind { get; init; } = PrunerSettings.KindName(PrunerKind.Median);
    [Id(1)] public int StartupTrials { get; init; } = SearchDefaults.NStartupTrials;
    [Id(2)] public int WarmupSteps { get; init; } = SearchDefaults.NWarmupSteps;
    [Id(3)] public int IntervalSteps { get; init; } = SearchDefaults.IntervalSteps;
    [Id(4)] public double Percentile { get; init; } = SearchDefaults.Percentile;
    /// <summary>
    /// running_mean | current_fold | completed_folds: what judging fold k ≥ 1 of a k-fold trial uses of its earlier folds
    /// (Search's <c>FoldRule</c>). Studies stored before this key existed read as running_mean, the default.
    /// </summary>
    [Id(5)] public string FoldRule { get; init; } = PrunerSettings.FoldRuleName(SearchDefaults.FoldRule);

    private static readonly PrunerSettings SearchDefaults = new();
}

public enum EnsembleKind { Soft, Hard, None }

/// <summary>
/// What stands for a backbone in the ensemble: Retrain, one model retrained on every non-held-out row;
/// Folds, its best trial's k fold models with their probabilities averaged (no retrain job).
/// </summary>
public enum FinalModels { Retrain, Folds }

[GenerateSerializer, Alias("sweep.FinalSpec"), Immutable]
public sealed record FinalSpec
{
    /// <summary>Whether the study has a final stage at all (members, ensemble, submission); false ends it after the search.</summary>
    [Id(0)] public bool Retrain { get; init; } = true;
    [Id(1)] public EnsembleKind Ensemble { get; init; } = EnsembleKind.Soft;
    /// <summary>Fit ensemble weights on out-of-fold predictions (never on the held-out set).</summary>
    [Id(2)] public bool FitWeights { get; init; }
    /// <summary>Classic models (tfidf_word, tfidf_char, nbsvm) that may join the ensemble beside the backbones; none by default.</summary>
    [Id(3)] public IReadOnlyList<string> ClassicMembers { get; init; } = [];
    /// <summary>Retrain (default): a final retrain per backbone; Folds: the best trial's fold models, averaged.</summary>
    [Id(4)] public FinalModels Models { get; init; } = FinalModels.Retrain;

    /// <summary>Value equality, the classic members compared item by item (a record would compare the list by reference).</summary>
    public bool Equals(FinalSpec? other) =>
        other is not null && Retrain == other.Retrain && Ensemble == other.Ensemble && FitWeights == other.FitWeights
        && Models == other.Models && ClassicMembers.SequenceEqual(other.ClassicMembers);

    public override int GetHashCode() => HashCode.Combine(Retrain, Ensemble, FitWeights, Models, string.Join(",", ClassicMembers));
}

/// <summary>Training settings that are not searched (searched ones come from the space by name).</summary>
[GenerateSerializer, Alias("sweep.TrainingSpec"), Immutable]
public sealed record TrainingSpec
{
    [Id(0)] public int Epochs { get; init; } = 3;
    [Id(1)] public int EarlyStoppingPatience { get; init; } = 2;
    [Id(2)] public int BatchSize { get; init; } = 16;
    [Id(3)] public bool MixedPrecision { get; init; } = true;
}

public enum WorkloadKind { Train, Simulated }

/// <summary>
/// What workers run for this study. <c>simulated</c> runs the learning-curve families of
/// bench/hpo/SUITE.md §5 instead of training, through the same lease/report/complete protocol.
/// </summary>
[GenerateSerializer, Alias("sweep.WorkloadSpec"), Immutable]
public sealed record WorkloadSpec
{
    [Id(0)] public WorkloadKind Kind { get; init; } = WorkloadKind.Train;
    /// <summary>crossing | parallel (simulated only).</summary>
    [Id(1)] public string CurveFamily { get; init; } = "crossing";
    /// <summary>Reports (epochs) per fold of a simulated trial.</summary>
    [Id(2)] public int Steps { get; init; } = 10;
    /// <summary>Wall time per simulated step.</summary>
    [Id(3)] public double StepSeconds { get; init; } = 0.05;
    /// <summary>Probability that a simulated trial throws (a bad parameter set), per trial.</summary>
    [Id(4)] public double FailureRate { get; init; }
    /// <summary>
    /// Folds per simulated trial (simulated only): each fold reports its own curve of <see cref="Steps"/> epochs
    /// (the same trial quality plus fold noise, as k-fold training does) and the value is the mean of the folds'
    /// last values. 1, the default, is SUITE.md's single curve.
    /// </summary>
    [Id(5)] public int Folds { get; init; } = 1;
}

/// <summary>How trials are leased and retried.</summary>
[GenerateSerializer, Alias("sweep.TrialPolicySpec"), Immutable]
public sealed record TrialPolicySpec
{
    /// <summary>A lease not renewed by a heartbeat for this long returns the trial to the queue.</summary>
    [Id(0)] public double LeaseSeconds { get; init; } = 30;
    /// <summary>Leases a trial may get before it is marked failed (expired or released leases count).</summary>
    [Id(1)] public int MaxAttempts { get; init; } = 3;
}
