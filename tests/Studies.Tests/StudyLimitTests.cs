using SweepCluster.Studies;
using static SweepCluster.Studies.Tests.StudyYaml;

namespace SweepCluster.Studies.Tests;

/// <summary>
/// Issue 11, item 1: every number that drives a loop, an allocation, a stored row or a grain call has a
/// documented upper bound (docs/study-spec.md, "Limits"), refused with its key and line, never an overflow.
/// </summary>
public sealed class StudyLimitTests
{
    private static StudySpecException ParseError(string yaml) => Assert.Throws<StudySpecException>(() => StudySpecParser.Parse(yaml));

    private static string Space(int parameters) =>
        string.Concat(Enumerable.Range(0, parameters).Select(i => $"  p{i}: {{type: float, low: 0, high: 1}}\n"));

    public static TheoryData<string, string, string, int?, string> OverLimits => new()
    {
        { "issue 11 budget", ValidWith("{trials_per_backbone: 4, max_parallel: 2}", "{trials_per_backbone: 2147483647, max_parallel: 2147483647}"),
            "budget.trials_per_backbone", 8, "must be in [1, 10000], got 2147483647" },
        { "max_parallel 1000000", ValidWith("max_parallel: 2", "max_parallel: 1000000"), "budget.max_parallel", 8, "must be in [1, 10000], got 1000000" },
        { "backbone trials", WithRobertaLines("trials: 10001"), "backbones[1].trials", 25, "must be in [1, 10000], got 10001" },
        { "study total over 20000", ValidWith("trials_per_backbone: 4", "trials_per_backbone: 10000") + "  - {name: electra, family: electra}\n",
            "budget.trials_per_backbone", 8, "at most 20,000, got 30,000 (3 backbones)" },
        { "study total via a backbone", ValidWith("trials_per_backbone: 4", "trials_per_backbone: 10000") + "    trials: 10000\n  - {name: electra, family: electra, trials: 1}\n",
            "backbones[2].trials", 26, "at most 20,000, got 20,001" },
        { "cv_folds", ValidWith("cv_folds: 5", "cv_folds: 1000000"), "cv_folds", 7, "must be in [1, 20]" },
        { "epochs", ValidWith("epochs: 3", "epochs: 1000"), "training.epochs", 11, "must be in [1, 100], got 1000" },
        { "patience", ValidWith("epochs: 3", "epochs: 3, early_stopping_patience: 101"), "training.early_stopping_patience", 11, "must be in [0, 100]" },
        { "batch size", ValidWith("epochs: 3", "epochs: 3, batch_size: 1000000"), "training.batch_size", 11, "must be in [1, 4096]" },
        { "sequence length", WithRobertaLines("max_sequence_length: 1000000"), "backbones[1].max_sequence_length", 25, "must be in [1, 8192]" },
        { "gpu memory", WithRobertaLines("min_gpu_memory_mb: 9000000000000"), "backbones[1].min_gpu_memory_mb", 25, "must be in [0, 1048576]" },
        { "simulated steps", ValidWith("steps: 3", "steps: 1000000"), "workload.steps", 12, "must be in [1, 999], got 1000000" },
        { "simulated folds", ValidWith("steps: 3", "steps: 3, folds: 21"), "workload.folds", 12, "must be in [1, 20], got 21" },
        { "step seconds", ValidWith("step_seconds: 0", "step_seconds: 1e300"), "workload.step_seconds", 12, "must be in [0, 3600]" },
        { "lease seconds huge", ValidWith("lease_seconds: 30", "lease_seconds: 1e300"), "trials.lease_seconds", 13, "must be in [0.1, 86400]" },
        { "lease seconds tiny", ValidWith("lease_seconds: 30", "lease_seconds: 1e-9"), "trials.lease_seconds", 13, "must be in [0.1, 86400]" },
        { "max attempts", ValidWith("max_attempts: 3", "max_attempts: 2147483647"), "trials.max_attempts", 13, "must be in [1, 100]" },
        { "sampler startup", ValidWith("{kind: tpe}", "{kind: tpe, startup_trials: 2000000000}"), "sampler.startup_trials", 9, "must be in [0, 10000]" },
        { "pruner startup", ValidWith("{kind: median, percentile: 50}", "{kind: median, percentile: 50, startup_trials: 2000000000}"), "pruner.startup_trials", 10, "must be in [0, 10000]" },
        { "backbones", Valid + string.Concat(Enumerable.Range(0, 31).Select(i => $"  - {{name: b{i}, family: bert}}\n")),
            "backbones", 19, "must list at most 32 backbones, got 33" },
        { "parameters", Valid[..Valid.IndexOf("search_space:", StringComparison.Ordinal)] + "search_space:\n" + Space(65)
            + Valid[Valid.IndexOf("backbones:", StringComparison.Ordinal)..], "search_space", 16, "must have at most 64 parameters, got 65" },
        { "choices", ValidWith("choices: [adamw, sgd]", $"choices: [{string.Join(", ", Enumerable.Range(0, 1001))}]"),
            "search_space.optimizer.choices", 17, "must have at most 1000 choices, got 1001" },
        { "long string choice", ValidWith("choices: [adamw, sgd]", $"choices: [adamw, {new string('s', 5000)}]"),
            "search_space.optimizer.choices[1]", 17, "must be at most 4096 characters" },
        { "long path", ValidWith("train: data/train.csv", "train: " + new string('p', 5000)), "data.train", 4, "must be at most 4096 characters, got 5,000" },
        // YAML's implicit keys stop at 1024 characters; an explicit key ("? key") has no such bound.
        { "long key", ValidWith("cv_folds: 5", "? " + new string('k', 5000) + "\n: 5"), "", 7, "keys must be at most 4096 characters" },
        { "label map class", ValidWith("EXTREMIST: 1", "EXTREMIST: 2147483647"), "data.label_map.EXTREMIST", 5, "must be in [0, 999]" },
    };

    [Theory]
    [MemberData(nameof(OverLimits))]
    public void A_number_over_its_limit_is_refused_with_key_and_line(string what, string yaml, string keyPath, int? line, string problem)
    {
        var error = ParseError(yaml);

        Assert.True(keyPath == error.KeyPath, $"{what}: key path '{error.KeyPath}', expected '{keyPath}' ({error.Message})");
        Assert.True(line == error.Line, $"{what}: line {error.Line}, expected {line} ({error.Message})");
        Assert.Contains(problem, error.Problem);
        Assert.True(error.Message.Length < 500, $"{what}: {error.Message.Length} characters of error");
    }

    [Fact]
    public void Every_limit_is_accepted_at_its_bound()
    {
        var yaml = ValidWith("{trials_per_backbone: 4, max_parallel: 2}", "{trials_per_backbone: 10000, max_parallel: 10000}")
            .Replace("cv_folds: 5", "cv_folds: 20")
            .Replace("epochs: 3", "epochs: 100, early_stopping_patience: 100, batch_size: 4096")
            .Replace("steps: 3, step_seconds: 0", "steps: 999, folds: 20, step_seconds: 3600")
            .Replace("lease_seconds: 30, max_attempts: 3", "lease_seconds: 86400, max_attempts: 100")
            + "    max_sequence_length: 8192\n    min_gpu_memory_mb: 1048576\n";

        var spec = StudySpecParser.Parse(yaml);

        Assert.Equal(20_000, StudyLimits.TotalTrials(spec));
        Assert.Equal(10_000, spec.Budget.MaxParallel);
        Assert.Empty(StudyLimits.Problems(spec));
    }

    [Fact]
    public void A_50_MB_name_is_echoed_in_80_characters()
    {
        // Before: the whole name was repeated in the error, one 50 MB line. (The file limit stops a 50 MB
        // file first; Parse is given the text directly here, under its own limit.)
        var error = ParseError(ValidWith("name: demo", "name: " + new string('x', 1_000_000) + "!"));

        Assert.Equal("name", error.KeyPath);
        Assert.Contains("(1,000,001 characters)", error.Problem);
        Assert.True(error.Message.Length < 300, error.Message);
    }

    [Fact]
    public void A_study_file_over_1_MiB_is_refused_before_it_is_parsed()
    {
        using var folder = new TempFolder();
        var path = folder.Write("study.yaml", Valid + "# " + new string('x', StudyLimits.MaxFileBytes) + "\n");

        var error = Assert.Throws<StudySpecException>(() => StudySpecParser.Load(path));

        Assert.Null(error.Line);
        Assert.Contains("at most 1,048,576 are read", error.Problem);
    }

    [Fact]
    public void Problems_reports_a_spec_far_over_the_limits_without_overflowing()
    {
        // What a client bypassing the parser can send: the study grain refuses it from this list.
        var spec = StudySpecParser.Parse(Valid) with
        {
            Budget = new BudgetSpec { TrialsPerBackbone = int.MaxValue, MaxParallel = int.MaxValue },
            Name = new string('n', 50_000_000),
        };

        var problems = StudyLimits.Problems(spec, studyId: "id with spaces");

        Assert.Equal(2L * int.MaxValue, StudyLimits.TotalTrials(spec));
        Assert.Contains(problems, p => p.KeyPath == "id");
        Assert.Contains(problems, p => p.KeyPath == "name" && p.Problem.Contains("(50,000,000 characters)"));
        Assert.Contains(problems, p => p.KeyPath == "budget.trials_per_backbone");
        Assert.Contains(problems, p => p.KeyPath == "budget.max_parallel");
        Assert.Contains(problems, p => p.KeyPath == "budget" && p.Problem.Contains("got 4294967294"));
        Assert.All(problems, p => Assert.True(p.Problem.Length < 300, p.KeyPath));
    }

    /// <summary>
    /// A client without the parser can send an undefined enum value or a misspelt kind; the grain refuses it from
    /// this list, naming the key and the names docs/study-spec.md lists, instead of a worker or the final stage
    /// meeting it hours later (before, only the sampler and pruner kinds were checked, by building the searches).
    /// </summary>
    [Theory]
    [InlineData("order", "budget.backbone_order", "unknown backbone_order '7' (expected one of interleaved, sequential)")]
    [InlineData("direction", "objective.direction", "unknown direction '5' (expected one of maximize, minimize)")]
    [InlineData("metric", "objective.metric", "unknown metric 'f2' (expected one of f1, accuracy, precision, recall, roc_auc, loss)")]
    [InlineData("ensemble", "final.ensemble", "unknown ensemble '9' (expected one of soft, hard, none)")]
    [InlineData("models", "final.models", "unknown final models '4' (expected one of retrain, folds)")]
    [InlineData("member", "final.classic_members", "unknown classic member 'svm' (expected one of tfidf_word, tfidf_char, nbsvm)")]
    [InlineData("workload", "workload.kind", "unknown workload kind '3' (expected one of train, simulated)")]
    [InlineData("curve", "workload.curve_family", "unknown curve family 'sigmoid' (expected one of crossing, parallel)")]
    [InlineData("balancing", "data.balancing", "unknown balancing '8' (expected one of none, undersample, oversample, augment)")]
    [InlineData("family", "backbones[0].family", "unknown family '11' (expected one of bert, distilbert, roberta, electra, deberta-v2)")]
    [InlineData("fold_rule", "pruner.fold_rule", "unknown pruner fold_rule 'latest'")]
    public void A_value_outside_its_closed_set_is_named_with_its_key(string what, string keyPath, string problem)
    {
        var spec = StudySpecParser.Parse(Valid);
        Assert.Empty(StudyLimits.Problems(spec));
        spec = what switch
        {
            "order" => spec with { Budget = spec.Budget with { BackboneOrder = (BackboneOrder)7 } },
            "direction" => spec with { Objective = spec.Objective with { Direction = (SweepCluster.Search.Sampling.StudyDirection)5 } },
            "metric" => spec with { Objective = spec.Objective with { Metric = "f2" } },
            "ensemble" => spec with { Final = spec.Final with { Ensemble = (EnsembleKind)9 } },
            "models" => spec with { Final = spec.Final with { Models = (FinalModels)4 } },
            "member" => spec with { Final = spec.Final with { ClassicMembers = ["nbsvm", "svm"] } },
            "workload" => spec with { Workload = spec.Workload with { Kind = (WorkloadKind)3 } },
            "curve" => spec with { Workload = spec.Workload with { CurveFamily = "sigmoid" } },
            "balancing" => spec with { Data = spec.Data with { Balancing = (SweepCluster.Vocabulary.Balancing)8 } },
            "family" => spec with { Backbones = [spec.Backbones[0] with { Family = (SweepCluster.Vocabulary.BackboneFamily)11 }, .. spec.Backbones.Skip(1)] },
            "fold_rule" => spec with { Pruner = spec.Pruner with { FoldRule = "latest" } },
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };

        var found = Assert.Single(StudyLimits.Problems(spec));
        Assert.Equal(keyPath, found.KeyPath);
        Assert.StartsWith(problem, found.Problem);
    }
}
