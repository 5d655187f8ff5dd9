using System.Text.RegularExpressions;
using SweepCluster.Studies.Yaml;
using YamlDotNet.RepresentationModel;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Vocabulary;
using static SweepCluster.Studies.StudyChoices;

namespace SweepCluster.Studies;

/// <summary>
/// Reads study.yaml (docs/study-spec.md) into a <see cref="StudySpec"/>. Every problem is a
/// <see cref="StudySpecException"/> naming the key path and line. Data files are not opened here:
/// workers check them, and <see cref="MissingFiles"/> lists absent ones for the CLI.
/// </summary>
public static partial class StudySpecParser
{
    private static readonly string[] StudyKeys =
        ["name", "seed", "data", "objective", "cv_folds", "budget", "sampler", "pruner", "training", "workload", "trials", "final", "search_space", "backbones"];
    private static readonly string[] DataKeys =
        ["train", "test", "text_column", "label_column", "label_columns", "label_map", "holdout_fraction", "balancing", "delimiter", "id_column", "min_text_length"];
    private static readonly string[] ObjectiveKeys = ["metric", "direction"];
    private static readonly string[] BudgetKeys = ["trials_per_backbone", "max_parallel", "backbone_order"];
    private static readonly string[] SamplerKeys = ["kind", "startup_trials", "share_across_backbones"];
    private static readonly string[] PrunerKeys = ["kind", "startup_trials", "warmup_steps", "interval_steps", "percentile", "fold_rule"];
    private static readonly string[] TrainingKeys = ["epochs", "early_stopping_patience", "batch_size", "mixed_precision"];
    private static readonly string[] WorkloadKeys = ["kind", "curve_family", "steps", "folds", "step_seconds", "failure_rate"];
    private static readonly string[] TrialPolicyKeys = ["lease_seconds", "max_attempts"];
    private static readonly string[] FinalKeys = ["retrain", "ensemble", "fit_weights", "classic_members", "models"];
    private static readonly string[] BackboneKeys = ["name", "family", "checkpoint", "trials", "min_gpu_memory_mb", "max_sequence_length", "search_space"];

    // Defaults come from the records themselves; required members get placeholders that are never used.
    private static readonly DataSpec DataDefaults = new() { Train = "" };
    private static readonly BudgetSpec BudgetDefaults = new() { TrialsPerBackbone = 1 };
    private static readonly StudySpec StudyDefaults = new() { Name = "", Data = DataDefaults, Backbones = [], Budget = BudgetDefaults };
    private static readonly BackboneSpec BackboneDefaults = new() { Name = "", Family = BackboneFamily.Bert, Space = SearchSpace.FromJson("{}") };
    private static readonly ObjectiveSpec ObjectiveDefaults = new();
    private static readonly SamplerSpec SamplerDefaults = new();
    private static readonly PrunerSpec PrunerDefaults = new();
    private static readonly TrainingSpec TrainingDefaults = new();
    private static readonly WorkloadSpec WorkloadDefaults = new();
    private static readonly TrialPolicySpec TrialPolicyDefaults = new();
    private static readonly FinalSpec FinalDefaults = new();

    /// <summary>
    /// Reads a study file. Relative data and checkpoint paths are resolved against the file's folder;
    /// errors start with the path as given (<c>study.yaml:12: ...</c>).
    /// </summary>
    public static StudySpec Load(string path)
    {
        string yaml;
        try
        {
            // Refused before it is read: a study file is a few KB, and parsing is what the limit bounds.
            var length = new FileInfo(path).Length;
            if (length > StudyLimits.MaxFileBytes)
                throw new StudySpecException("", null, $"the study file is {StudyLimits.N(length)} bytes; at most {StudyLimits.N(StudyLimits.MaxFileBytes)} are read", path);
            yaml = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StudySpecException("", null, $"cannot read the study file: {e.Message}", path);
        }
        try
        {
            return Parse(yaml, Path.GetDirectoryName(Path.GetFullPath(path)));
        }
        catch (StudySpecException e)
        {
            throw e.InFile(path);
        }
    }

    /// <summary>
    /// Parses study YAML. With a <paramref name="baseDirectory"/>, relative data and checkpoint paths are
    /// resolved against it and made absolute; without one they are kept as written.
    /// </summary>
    /// <exception cref="StudySpecException">The text is not a valid study, or breaks one of <see cref="StudyLimits"/>
    /// (key path and line named).</exception>
    public static StudySpec Parse(string yaml, string? baseDirectory = null)
    {
        if (yaml.Length > StudyLimits.MaxFileBytes)
            throw new StudySpecException("", null, $"the study is {StudyLimits.N(yaml.Length)} characters; at most {StudyLimits.N(StudyLimits.MaxFileBytes)} are read");
        var root = StudyYamlDocument.Load(yaml);
        if (root is not YamlMappingNode)
            throw YamlValue.WrongType(root, "", "a mapping of study keys (name, data, budget, backbones, ...) at the top level");
        var study = YamlSection.Of(root, "", StudyKeys);
        // Read ahead of the backbones: whether they need checkpoints depends on it.
        var workload = ReadWorkload(study.Section("workload", WorkloadKeys));
        var budget = study.RequiredSection("budget", BudgetKeys);
        var spec = new StudySpec
        {
            Name = ReadName(study),
            Seed = study.Int("seed", StudyDefaults.Seed, Bounds.Any),
            Data = ReadData(study.RequiredSection("data", DataKeys), baseDirectory),
            Objective = ReadObjective(study.Section("objective", ObjectiveKeys)),
            CvFolds = study.Int("cv_folds", StudyDefaults.CvFolds, Bounds.Closed(1, StudyLimits.MaxCvFolds)),
            Budget = ReadBudget(budget),
            Sampler = ReadSampler(study.Section("sampler", SamplerKeys)),
            Pruner = ReadPruner(study.Section("pruner", PrunerKeys)),
            Training = ReadTraining(study.Section("training", TrainingKeys)),
            Workload = workload,
            Trials = ReadTrialPolicy(study.Section("trials", TrialPolicyKeys)),
            Final = ReadFinal(study.Section("final", FinalKeys)),
            Backbones = ReadBackbones(study, ReadStudySpace(study), workload.Kind, baseDirectory),
        };
        CheckTotalTrials(spec, budget, study.RequiredSequence("backbones"));
        if (spec.Sampler.Kind == AutoSampler.Name)
            spec = spec with { Sampler = spec.Sampler with { Kind = SamplerSettings.KindName(AutoSampler.Choose(spec).Kind), Auto = true } };
        // The silo's own check of the same limits (it re-validates every Submit). Each limit is already
        // enforced above with its line; this only makes sure the parser never accepts what the silo refuses.
        if (StudyLimits.Problems(spec).FirstOrDefault() is { KeyPath: not null } problem)
            throw new StudySpecException(problem.KeyPath, null, problem.Problem);
        return spec;
    }

    /// <summary>
    /// backbones × trials, summed in 64 bits with checked arithmetic (two backbones of int.MaxValue trials
    /// overflowed an int before). Named at the backbone whose budget takes the sum over the limit.
    /// </summary>
    private static void CheckTotalTrials(StudySpec spec, YamlSection budget, IReadOnlyList<YamlNode> items)
    {
        var total = 0L;
        for (var i = 0; i < spec.Backbones.Count; i++)
        {
            var backbone = spec.Backbones[i];
            total = checked(total + StudyLimits.TrialsOf(spec, backbone));
            if (total <= StudyLimits.MaxTrialsPerStudy) continue;
            var problem = $"the study's trials over all backbones must be at most {StudyLimits.N(StudyLimits.MaxTrialsPerStudy)}, " +
                          $"got {StudyLimits.N(StudyLimits.TotalTrials(spec))} ({spec.Backbones.Count} backbones)";
            throw backbone.Trials is null
                ? budget.Error("trials_per_backbone", problem)
                : YamlSection.Of(items[i], KeyPaths.Item("backbones", i), BackboneKeys).Error("trials", problem);
        }
    }

    /// <summary>The train, test and checkpoint paths of <paramref name="spec"/> that do not exist on this machine.</summary>
    public static IReadOnlyList<string> MissingFiles(StudySpec spec)
    {
        var files = new[] { spec.Data.Train, spec.Data.Test }.OfType<string>().Where(f => !File.Exists(f));
        var folders = spec.Backbones.Select(b => b.Checkpoint).OfType<string>().Where(d => !Directory.Exists(d));
        return files.Concat(folders).Distinct(StringComparer.Ordinal).ToList();
    }

    private static string ReadName(YamlSection section)
    {
        var name = section.RequiredString("name");
        return ValidName().IsMatch(name)
            ? name
            : throw section.Error("name", $"'{StudyLimits.Echo(name)}' must be 1 to {StudyLimits.MaxNameLength} letters, digits, '.', '_' or '-'");
    }

    private static DataSpec ReadData(YamlSection data, string? baseDirectory) => new()
    {
        Train = ResolvePath(data.RequiredString("train"), baseDirectory),
        Test = data.OptionalString("test") is { } test ? ResolvePath(test, baseDirectory) : null,
        TextColumn = data.String("text_column", DataDefaults.TextColumn),
        LabelColumns = ReadLabelColumns(data),
        LabelMap = ReadLabelMap(data.Section("label_map", knownKeys: null)),
        HoldoutFraction = data.Number("holdout_fraction", DataDefaults.HoldoutFraction, Bounds.HalfOpen(0, 0.9)),
        Balancing = data.Choice("balancing", DataDefaults.Balancing, BalancingModes),
        Delimiter = ReadDelimiter(data),
        IdColumn = data.OptionalString("id_column"),
        MinTextLength = data.Int("min_text_length", DataDefaults.MinTextLength, Bounds.AtLeast(0)),
    };

    /// <summary><c>label_column: x</c> is shorthand for <c>label_columns: [x]</c>; giving both is ambiguous.</summary>
    private static IReadOnlyList<string> ReadLabelColumns(YamlSection data)
    {
        var single = data.OptionalString("label_column");
        var several = data.OptionalStringList("label_columns");
        if (single is not null && several is not null)
            throw data.Error("label_columns", "give label_column or label_columns, not both");
        if (several is null) return single is null ? DataDefaults.LabelColumns : [single];
        if (several.Count == 0) throw data.Error("label_columns", "must name at least one column");
        if (several.Count > StudyLimits.MaxLabels) throw data.Error("label_columns", $"must name at most {StudyLimits.MaxLabels} columns, got {several.Count}");
        if (several.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw data.Error("label_columns", $"column '{repeated.Key}' is listed twice");
        return several;
    }

    /// <summary>Several raw labels may share a class, but the classes must be exactly 0..K-1.</summary>
    private static IReadOnlyDictionary<string, int> ReadLabelMap(YamlSection map)
    {
        if (map.Entries.Count > StudyLimits.MaxLabels)
            throw new StudySpecException(map.Path, map.Line, $"must have at most {StudyLimits.MaxLabels} entries, got {map.Entries.Count}");
        var classByLabel = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in map.Entries)
        {
            classByLabel[entry.Key] = YamlValue.Int(entry.Value, entry.Path, Bounds.Closed(0, StudyLimits.MaxLabels - 1));
        }
        var classes = classByLabel.Values.ToHashSet();
        var skipped = Enumerable.Range(0, classes.Count).Where(c => !classes.Contains(c)).ToList();
        if (skipped.Count > 0)
        {
            throw new StudySpecException(map.Path, map.Line,
                $"class indices must be 0..K-1 with none skipped; got {string.Join(", ", classes.Order())}, missing {string.Join(", ", skipped)}");
        }
        return classByLabel;
    }

    private static string? ReadDelimiter(YamlSection data)
    {
        var delimiter = data.OptionalString("delimiter");
        return delimiter is null or { Length: 1 }
            ? delimiter
            : throw data.Error("delimiter", $"must be a single character (use \"\\t\" for tab), got '{StudyLimits.Echo(delimiter)}'");
    }

    private static ObjectiveSpec ReadObjective(YamlSection objective) => new()
    {
        Metric = objective.Choice("metric", ObjectiveDefaults.Metric, Metrics),
        Direction = objective.Choice("direction", ObjectiveDefaults.Direction, Directions),
    };

    private static BudgetSpec ReadBudget(YamlSection budget) => new()
    {
        TrialsPerBackbone = budget.RequiredInt("trials_per_backbone", Bounds.Closed(1, StudyLimits.MaxTrialsPerBackbone)),
        MaxParallel = budget.Int("max_parallel", BudgetDefaults.MaxParallel, Bounds.Closed(1, StudyLimits.MaxParallel)),
        BackboneOrder = budget.Choice("backbone_order", BudgetDefaults.BackboneOrder, BackboneOrders),
    };

    private static SamplerSpec ReadSampler(YamlSection sampler) => new()
    {
        Kind = sampler.Choice("kind", AutoSampler.Name, StudyFileSamplerKinds),
        StartupTrials = sampler.OptionalInt("startup_trials", Bounds.Closed(0, StudyLimits.MaxTrialsPerBackbone)),
        ShareAcrossBackbones = sampler.Bool("share_across_backbones", SamplerDefaults.ShareAcrossBackbones),
    };

    private static PrunerSpec ReadPruner(YamlSection pruner) => new()
    {
        Kind = pruner.Choice("kind", PrunerDefaults.Kind, PrunerKinds),
        StartupTrials = pruner.Int("startup_trials", PrunerDefaults.StartupTrials, Bounds.Closed(0, StudyLimits.MaxTrialsPerBackbone)),
        WarmupSteps = pruner.Int("warmup_steps", PrunerDefaults.WarmupSteps, Bounds.AtLeast(0)),
        IntervalSteps = pruner.Int("interval_steps", PrunerDefaults.IntervalSteps, Bounds.AtLeast(1)),
        Percentile = pruner.Number("percentile", PrunerDefaults.Percentile, Bounds.Open(0, 100)),
        FoldRule = pruner.Choice("fold_rule", PrunerDefaults.FoldRule, FoldRules),
    };

    private static TrainingSpec ReadTraining(YamlSection training) => new()
    {
        Epochs = training.Int("epochs", TrainingDefaults.Epochs, Bounds.Closed(1, StudyLimits.MaxEpochs)),
        EarlyStoppingPatience = training.Int("early_stopping_patience", TrainingDefaults.EarlyStoppingPatience, Bounds.Closed(0, StudyLimits.MaxEpochs)),
        BatchSize = training.Int("batch_size", TrainingDefaults.BatchSize, Bounds.Closed(1, StudyLimits.MaxBatchSize)),
        MixedPrecision = training.Bool("mixed_precision", TrainingDefaults.MixedPrecision),
    };

    private static WorkloadSpec ReadWorkload(YamlSection workload) => new()
    {
        Kind = workload.Choice("kind", WorkloadDefaults.Kind, WorkloadKinds),
        CurveFamily = workload.Choice("curve_family", WorkloadDefaults.CurveFamily, CurveFamilies),
        Steps = workload.Int("steps", WorkloadDefaults.Steps, Bounds.Closed(1, StudyLimits.MaxSteps)),
        Folds = workload.Int("folds", WorkloadDefaults.Folds, Bounds.Closed(1, StudyLimits.MaxFolds)),
        StepSeconds = workload.Number("step_seconds", WorkloadDefaults.StepSeconds, Bounds.Closed(0, StudyLimits.MaxStepSeconds)),
        FailureRate = workload.Number("failure_rate", WorkloadDefaults.FailureRate, Bounds.Closed(0, 1)),
    };

    private static TrialPolicySpec ReadTrialPolicy(YamlSection trials) => new()
    {
        LeaseSeconds = trials.Number("lease_seconds", TrialPolicyDefaults.LeaseSeconds, Bounds.Closed(StudyLimits.MinLeaseSeconds, StudyLimits.MaxLeaseSeconds)),
        MaxAttempts = trials.Int("max_attempts", TrialPolicyDefaults.MaxAttempts, Bounds.Closed(1, StudyLimits.MaxAttempts)),
    };

    private static FinalSpec ReadFinal(YamlSection final) => new()
    {
        Retrain = final.Bool("retrain", FinalDefaults.Retrain),
        Ensemble = final.Choice("ensemble", FinalDefaults.Ensemble, EnsembleKinds),
        FitWeights = final.Bool("fit_weights", FinalDefaults.FitWeights),
        ClassicMembers = ReadClassicMembers(final),
        Models = final.Choice("models", FinalDefaults.Models, FinalModelChoices),
    };

    /// <summary>Known classic kinds, each at most once; a bad item is named by its index (final.classic_members[1]).</summary>
    private static IReadOnlyList<string> ReadClassicMembers(YamlSection final)
    {
        var entry = final.Entries.FirstOrDefault(e => e.Key == "classic_members");
        if (entry.Key is null || YamlScalar.IsNull(entry.Value)) return FinalDefaults.ClassicMembers;
        var names = YamlValue.Sequence(entry.Value, entry.Path)
            .Select((item, i) => YamlValue.Choice(item, KeyPaths.Item(entry.Path, i), ClassicMemberKinds)).ToList();
        if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw final.Error("classic_members", $"'{repeated.Key}' is listed twice");
        return names;
    }

    /// <summary>The study-wide space, validated on its own so its errors name <c>search_space.&lt;param&gt;</c>.</summary>
    private static YamlSearchSpace? ReadStudySpace(YamlSection study)
    {
        if (study.OptionalSection("search_space", knownKeys: null) is not { } section) return null;
        var space = YamlSearchSpace.Read(section, isOverride: false);
        space.ToSearchSpace(); // throws for an invalid space; kept for the backbones that inherit it
        return space;
    }

    private static IReadOnlyList<BackboneSpec> ReadBackbones(YamlSection study, YamlSearchSpace? studySpace, WorkloadKind workload, string? baseDirectory)
    {
        var items = study.RequiredSequence("backbones");
        if (items.Count == 0) throw study.Error("backbones", "must list at least one backbone");
        // Before any is read: each costs a search-space validation here and a search in the study grain.
        if (items.Count > StudyLimits.MaxBackbones)
            throw study.Error("backbones", $"must list at most {StudyLimits.MaxBackbones} backbones, got {items.Count}");
        var backbones = new List<BackboneSpec>();
        var indexByName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var section = YamlSection.Of(items[i], KeyPaths.Item("backbones", i), BackboneKeys);
            var backbone = ReadBackbone(section, studySpace, workload, baseDirectory);
            if (!indexByName.TryAdd(backbone.Name, i))
                throw section.Error("name", $"duplicate backbone name '{StudyLimits.Echo(backbone.Name)}' (also backbones[{indexByName[backbone.Name]}])");
            backbones.Add(backbone);
        }
        return backbones;
    }

    private static BackboneSpec ReadBackbone(YamlSection backbone, YamlSearchSpace? studySpace, WorkloadKind workload, string? baseDirectory) => new()
    {
        Name = ReadName(backbone),
        Family = backbone.RequiredChoice("family", Families),
        Checkpoint = ReadCheckpoint(backbone, workload, baseDirectory),
        Trials = backbone.OptionalInt("trials", Bounds.Closed(1, StudyLimits.MaxTrialsPerBackbone)),
        MinGpuMemoryMb = backbone.Long("min_gpu_memory_mb", BackboneDefaults.MinGpuMemoryMb, Bounds.Closed(0, StudyLimits.MaxGpuMemoryMb)),
        MaxSequenceLength = backbone.Int("max_sequence_length", BackboneDefaults.MaxSequenceLength, Bounds.Closed(1, StudyLimits.MaxSequenceLength)),
        Space = ReadBackboneSpace(backbone, studySpace),
    };

    /// <summary>Training needs weights; the simulated workload needs none.</summary>
    private static string? ReadCheckpoint(YamlSection backbone, WorkloadKind workload, string? baseDirectory)
    {
        var checkpoint = backbone.OptionalString("checkpoint");
        if (checkpoint is null && workload == WorkloadKind.Train)
            throw backbone.Error("checkpoint", "required when workload.kind is train (the folder with config.json, tokenizer and weights)");
        return checkpoint is null ? null : ResolvePath(checkpoint, baseDirectory);
    }

    private static SearchSpace ReadBackboneSpace(YamlSection backbone, YamlSearchSpace? studySpace)
    {
        var section = backbone.OptionalSection("search_space", knownKeys: null);
        if (section is null)
        {
            return studySpace?.ToSearchSpace()
                ?? throw backbone.Error("search_space", "required: the study has no study-wide search_space");
        }
        var overrides = YamlSearchSpace.Read(section, isOverride: true);
        return (studySpace ?? YamlSearchSpace.Empty("search_space")).WithOverrides(overrides).ToSearchSpace();
    }

    private static string ResolvePath(string path, string? baseDirectory) =>
        baseDirectory is null ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ValidName();
}
