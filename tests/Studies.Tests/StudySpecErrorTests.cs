using SweepCluster.Studies;
using static SweepCluster.Studies.Tests.StudyYaml;

namespace SweepCluster.Studies.Tests;

/// <summary>Every kind of mistake in a study file is refused with its key path, line and a precise message.</summary>
public sealed class StudySpecErrorTests
{
    private static StudySpecException ParseError(string yaml) => Assert.Throws<StudySpecException>(() => StudySpecParser.Parse(yaml));

    /// <summary>Mistake, study text, expected key path, line, and a fragment the message must contain.</summary>
    public static TheoryData<string, string, string, int?, string> Mistakes => new()
    {
        // unknown keys, with a suggestion when one is close
        { "unknown top-level key", ValidWith("cv_folds: 5", "cv_fold: 5"), "cv_fold", 7, "unknown key (did you mean 'cv_folds'?)" },
        { "unknown nested key", ValidWith("max_parallel: 2", "max_paralel: 2"), "budget.max_paralel", 8, "did you mean 'max_parallel'?" },
        { "transposed letters", ValidWith("budget:", "budgte:"), "budgte", 8, "did you mean 'budget'?" },
        { "unknown key far from any", ValidWith("{kind: tpe}", "{kind: tpe, colour: red}"), "sampler.colour", 9, "unknown key (known keys: kind, startup_trials, share_across_backbones)" },
        { "unknown backbone key", WithRobertaLines("flavour: vanilla"), "backbones[1].flavour", 25, "unknown key" },
        { "unknown parameter key", ValidWith("log: true}", "lgo: true}"), "search_space.lr.lgo", 16, "did you mean 'log'?" },

        // required keys
        { "missing name", ValidWith("name: demo\n", ""), "name", null, "required key is missing" },
        { "missing section", ValidWith("budget: {trials_per_backbone: 4, max_parallel: 2}\n", ""), "budget", null, "required key is missing" },
        { "missing data.train", ValidWith("  train: data/train.csv\n", ""), "data.train", 4, "required key is missing" },
        { "missing trials_per_backbone", ValidWith("trials_per_backbone: 4, ", ""), "budget.trials_per_backbone", 8, "required key is missing" },
        { "missing backbone family", ValidWith("    family: roberta\n", ""), "backbones[1].family", 23, "required key is missing" },
        { "missing backbones", Valid[..Valid.IndexOf("backbones:", StringComparison.Ordinal)], "backbones", null, "required key is missing" },
        { "null required value", ValidWith("name: demo", "name:"), "name", 1, "needs a value" },

        // wrong types
        { "string for an integer", ValidWith("trials_per_backbone: 4", "trials_per_backbone: many"), "budget.trials_per_backbone", 8, "expected an integer, got the string 'many'" },
        { "float for an integer", ValidWith("epochs: 3", "epochs: 2.5"), "training.epochs", 11, "expected an integer, got the number 2.5" },
        { "quoted number for a number", ValidWith("step_seconds: 0", "step_seconds: '0'"), "workload.step_seconds", 12, "expected a finite number, got the string '0'" },
        { "list for a mapping", ValidWith("sampler: {kind: tpe}", "sampler: [tpe]"), "sampler", 9, "expected a mapping, got a list" },
        { "yes for a boolean", ValidWith("mixed_precision: true", "mixed_precision: yes"), "training.mixed_precision", 11, "expected true or false, got the string 'yes'" },
        { "number for a boolean", ValidWith("retrain: true", "retrain: 1"), "final.retrain", 14, "expected true or false, got the integer 1" },
        { "string for share_across_backbones", ValidWith("{kind: tpe}", "{kind: tpe, share_across_backbones: 'true'}"), "sampler.share_across_backbones", 9, "expected true or false, got the string 'true'" },
        { "number for share_across_backbones", ValidWith("{kind: tpe}", "{kind: tpe, share_across_backbones: 1}"), "sampler.share_across_backbones", 9, "expected true or false, got the integer 1" },
        { "scalar for a list", ValidWith("choices: [adamw, sgd]", "choices: adamw"), "search_space.optimizer.choices", 17, "expected a list, got the string 'adamw'" },
        { "mapping for a string", ValidWith("train: data/train.csv", "train: {path: data/train.csv}"), "data.train", 4, "expected a string, got a mapping" },
        { "mapping for the backbones list", Valid[..Valid.IndexOf("backbones:", StringComparison.Ordinal)] + "backbones: {name: bert}\n", "backbones", 19, "expected a list, got a mapping" },
        { "scalar backbone", ValidWith("  - name: roberta\n    family: roberta\n", "  - roberta\n"), "backbones[1]", 23, "expected a mapping, got the string 'roberta'" },
        { "empty string", ValidWith("  train: data/train.csv", "  train: ''"), "data.train", 4, "must not be empty" },
        { "infinite number", ValidWith("lease_seconds: 30", "lease_seconds: .inf"), "trials.lease_seconds", 13, "expected a finite number" },

        // out of range
        { "trials_per_backbone < 1", ValidWith("trials_per_backbone: 4", "trials_per_backbone: 0"), "budget.trials_per_backbone", 8, "must be in [1, 10000], got 0" },
        { "max_parallel < 1", ValidWith("max_parallel: 2", "max_parallel: 0"), "budget.max_parallel", 8, "must be in [1, 10000], got 0" },
        { "unknown backbone order", ValidWith("max_parallel: 2", "max_parallel: 2, backbone_order: round_robin"), "budget.backbone_order", 8, "unknown backbone_order 'round_robin' (expected one of interleaved, sequential)" },
        { "cv_folds < 1", ValidWith("cv_folds: 5", "cv_folds: 0"), "cv_folds", 7, "must be in [1, 20], got 0" },
        { "cv_folds > 20", ValidWith("cv_folds: 5", "cv_folds: 21"), "cv_folds", 7, "must be in [1, 20], got 21" },
        { "holdout_fraction 0.9", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  holdout_fraction: 0.9"), "data.holdout_fraction", 5, "must be in [0, 0.9), got 0.9" },
        { "holdout_fraction < 0", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  holdout_fraction: -0.1"), "data.holdout_fraction", 5, "must be in [0, 0.9), got -0.1" },
        { "lease_seconds 0", ValidWith("lease_seconds: 30", "lease_seconds: 0"), "trials.lease_seconds", 13, "must be in [0.1, 86400], got 0" },
        { "max_attempts 0", ValidWith("max_attempts: 3", "max_attempts: 0"), "trials.max_attempts", 13, "must be in [1, 100], got 0" },
        { "failure_rate > 1", ValidWith("failure_rate: 0", "failure_rate: 1.5"), "workload.failure_rate", 12, "must be in [0, 1], got 1.5" },
        { "steps 0", ValidWith("steps: 3", "steps: 0"), "workload.steps", 12, "must be in [1, 999], got 0" },
        { "step_seconds < 0", ValidWith("step_seconds: 0", "step_seconds: -1"), "workload.step_seconds", 12, "must be in [0, 3600], got -1" },
        { "percentile 100", ValidWith("percentile: 50", "percentile: 100"), "pruner.percentile", 10, "must be in (0, 100), got 100" },
        { "percentile 0", ValidWith("percentile: 50", "percentile: 0"), "pruner.percentile", 10, "must be in (0, 100), got 0" },
        { "epochs 0", ValidWith("epochs: 3", "epochs: 0"), "training.epochs", 11, "must be in [1, 100], got 0" },
        { "backbone trials 0", WithRobertaLines("trials: 0"), "backbones[1].trials", 25, "must be in [1, 10000], got 0" },
        { "integer too large", ValidWith("seed: 7", "seed: 99999999999"), "seed", 2, "is too large" },

        // unknown enum values
        { "unknown family", ValidWith("family: distilbert", "family: gpt2"), "backbones[0].family", 21, "unknown family 'gpt2' (expected one of bert, distilbert, roberta, electra, deberta-v2)" },
        { "unknown balancing", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  balancing: smote"), "data.balancing", 5, "unknown balancing 'smote' (expected one of none, undersample, oversample, augment)" },
        { "unknown sampler", ValidWith("kind: tpe}", "kind: cmaes}"), "sampler.kind", 9, "unknown sampler kind 'cmaes' (expected one of auto, tpe, tpe_multivariate, gp, random)" },
        { "unknown pruner", ValidWith("kind: median", "kind: hyperband"), "pruner.kind", 10, "unknown pruner kind 'hyperband' (expected one of none, median, percentile, extrapolating)" },
        { "unknown fold rule", ValidWith("kind: median", "kind: median, fold_rule: best_fold"), "pruner.fold_rule", 10, "unknown pruner fold_rule 'best_fold' (expected one of running_mean, current_fold, completed_folds)" },
        { "unknown metric", ValidWith("metric: f1", "metric: mcc"), "objective.metric", 6, "unknown metric 'mcc' (expected one of f1, accuracy, precision, recall, roc_auc, loss)" },
        { "unknown direction", ValidWith("direction: maximize", "direction: up"), "objective.direction", 6, "unknown direction 'up' (expected one of maximize, minimize)" },
        { "unknown ensemble", ValidWith("ensemble: soft", "ensemble: stacking"), "final.ensemble", 14, "unknown ensemble 'stacking' (expected one of soft, hard, none)" },
        { "unknown classic member", ValidWith("ensemble: soft}", "ensemble: soft, classic_members: [tfidf_word, svm]}"), "final.classic_members[1]", 14, "unknown classic member 'svm' (expected one of tfidf_word, tfidf_char, nbsvm)" },
        { "classic member listed twice", ValidWith("ensemble: soft}", "ensemble: soft, classic_members: [nbsvm, nbsvm]}"), "final.classic_members", 14, "'nbsvm' is listed twice" },
        { "scalar for classic members", ValidWith("ensemble: soft}", "ensemble: soft, classic_members: nbsvm}"), "final.classic_members", 14, "expected a list, got the string 'nbsvm'" },
        { "unknown final models", ValidWith("ensemble: soft}", "ensemble: soft, models: fold}"), "final.models", 14, "unknown final models 'fold' (expected one of retrain, folds)" },
        { "unknown workload", ValidWith("kind: simulated", "kind: replay"), "workload.kind", 12, "unknown workload kind 'replay' (expected one of train, simulated)" },
        { "unknown curve family", ValidWith("curve_family: crossing", "curve_family: zigzag"), "workload.curve_family", 12, "unknown curve family 'zigzag' (expected one of crossing, parallel)" },
        { "unknown parameter type", ValidWith("type: categorical", "type: choice"), "search_space.optimizer.type", 17, "unknown parameter type 'choice' (expected one of float, int, categorical)" },

        // names and backbones
        { "invalid study name", ValidWith("name: demo", "name: my demo"), "name", 1, "'my demo' must be 1 to 64 letters, digits, '.', '_' or '-'" },
        { "study name too long", ValidWith("name: demo", "name: " + new string('a', 65)), "name", 1, "must be 1 to 64" },
        { "duplicate backbone name", ValidWith("name: roberta", "name: distilbert"), "backbones[1].name", 23, "duplicate backbone name 'distilbert' (also backbones[0])" },
        { "empty backbones", Valid[..Valid.IndexOf("backbones:", StringComparison.Ordinal)] + "backbones: []\n", "backbones", 19, "must list at least one backbone" },
        { "training without a checkpoint", ValidWith("kind: simulated", "kind: train"), "backbones[1].checkpoint", 23, "required when workload.kind is train" },

        // search spaces
        { "invalid study space", ValidWith("low: 1.0e-5, high: 1.0e-1", "low: 1.0e-1, high: 1.0e-5"), "search_space.lr", 16, "low (0.1) is greater than high (1E-05)" },
        { "log scale from zero", ValidWith("low: 1.0e-5", "low: 0"), "search_space.lr", 16, "a log scale needs low > 0" },
        { "condition on an unknown parameter", ValidWith("when: {optimizer: [adamw]}", "when: {optimiser: [adamw]}"), "search_space.beta2", 18, "condition refers to unknown parameter 'optimiser'" },
        { "null study parameter", ValidWith("  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}", "  lr: null"), "search_space.lr", 16, "needs a definition" },
        { "invalid override", WithRobertaLines("search_space:", "  lr: {type: float, low: 1, high: 0}"), "backbones[1].search_space.lr", 26, "low (1) is greater than high (0)" },
        { "override removing a parent", WithRobertaLines("search_space:", "  optimizer: null"), "backbones[1].search_space.beta2", 26, "condition refers to unknown parameter 'optimizer'" },
        { "override removing an unknown parameter", WithRobertaLines("search_space:", "  betta2: null"), "backbones[1].search_space.betta2", 26, "cannot remove 'betta2': the study's search_space has no such parameter; did you mean 'beta2'?" },
        { "override removing every parameter", WithRobertaLines("search_space: {lr: null, optimizer: null, beta2: null}"), "backbones[1].search_space", 25, "the search space has no parameters" },
        { "no space for a backbone", Valid.Replace(Valid[Valid.IndexOf("search_space:", StringComparison.Ordinal)..Valid.IndexOf("backbones:", StringComparison.Ordinal)], ""), "backbones[0].search_space", 16, "required: the study has no study-wide search_space" },

        // labels
        { "label map skipping a class", ValidWith("EXTREMIST: 1", "EXTREMIST: 2"), "data.label_map", 5, "class indices must be 0..K-1 with none skipped; got 0, 2, missing 1" },
        { "negative label class", ValidWith("EXTREMIST: 1", "EXTREMIST: -1"), "data.label_map.EXTREMIST", 5, "must be in [0, 999], got -1" },
        { "empty label_columns", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  label_columns: []"), "data.label_columns", 5, "must name at least one column" },
        { "label_column and label_columns", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  label_column: a\n  label_columns: [b]"), "data.label_columns", 6, "give label_column or label_columns, not both" },
        { "repeated label column", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  label_columns: [toxic, toxic]"), "data.label_columns", 5, "column 'toxic' is listed twice" },
        { "long delimiter", ValidWith("  train: data/train.csv", "  train: data/train.csv\n  delimiter: ';;'"), "data.delimiter", 5, "must be a single character" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_is_refused_naming_its_key_path_and_line(string mistake, string yaml, string keyPath, int? line, string problem)
    {
        var error = ParseError(yaml);

        Assert.True(keyPath == error.KeyPath, $"{mistake}: key path '{error.KeyPath}', expected '{keyPath}' ({error.Message})");
        Assert.True(line == error.Line, $"{mistake}: line {error.Line}, expected {line} ({error.Message})");
        Assert.Contains(problem, error.Problem);
        Assert.Equal($"{(line is null ? "" : $"line {line}: ")}{keyPath}: {error.Problem}", error.Message);
    }

    [Fact]
    public void Yaml_syntax_error_is_reported_with_its_line()
    {
        var error = ParseError(ValidWith("  train: data/train.csv", "  train: [data/train.csv"));

        Assert.StartsWith("invalid YAML", error.Problem);
        Assert.Equal("", error.KeyPath);
        Assert.NotNull(error.Line);
        Assert.InRange(error.Line.Value, 4, 6);
    }

    [Fact]
    public void Bad_indentation_is_a_syntax_error()
    {
        var error = ParseError("name: demo\n  seed: 1\n");

        Assert.StartsWith("invalid YAML", error.Problem);
        Assert.Equal(2, error.Line);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# nothing but a comment\n")]
    [InlineData("---\n")]
    [InlineData("~\n")]
    public void Empty_document_is_an_error(string yaml)
    {
        var error = ParseError(yaml);

        Assert.Equal("the study file is empty", error.Message);
        Assert.Null(error.Line);
    }

    [Theory]
    [InlineData("- name: demo\n- seed: 1\n", "a list")]
    [InlineData("demo\n", "the string 'demo'")]
    public void Top_level_must_be_a_mapping(string yaml, string got)
    {
        var error = ParseError(yaml);

        Assert.Equal("", error.KeyPath);
        Assert.Equal(1, error.Line);
        Assert.Equal($"line 1: expected a mapping of study keys (name, data, budget, backbones, ...) at the top level, got {got}", error.Message);
    }

    [Fact]
    public void Several_documents_in_one_file_are_an_error()
    {
        var error = ParseError(Valid + "---\nname: other\n");

        Assert.Equal(26, error.Line);
        Assert.Contains("one YAML document", error.Problem);
    }

    [Theory]
    [InlineData("seed: 7", "seed: 7\nseed: 8", "seed", 3, 2)]
    [InlineData("max_parallel: 2", "max_parallel: 2, max_parallel: 3", "budget.max_parallel", 8, 8)]
    [InlineData("    family: roberta", "    family: roberta\n    family: bert", "backbones[1].family", 25, 24)]
    [InlineData("adamw]}", "adamw], optimizer: [sgd]}", "search_space.beta2.when.optimizer", 18, 18)]
    public void Duplicate_key_is_an_error_naming_both_lines(string text, string replacement, string keyPath, int line, int firstLine)
    {
        var error = ParseError(ValidWith(text, replacement));

        Assert.Equal(keyPath, error.KeyPath);
        Assert.Equal(line, error.Line);
        Assert.Equal($"duplicate key (first given on line {firstLine})", error.Problem);
    }

    [Fact]
    public void Errors_from_a_file_start_with_its_path_and_line()
    {
        using var folder = new TempFolder();
        var path = folder.Write("study.yaml", ValidWith("family: distilbert", "family: gpt2"));

        var error = Assert.Throws<StudySpecException>(() => StudySpecParser.Load(path));

        Assert.Equal(path, error.File);
        Assert.Equal(
            $"{path}:21: backbones[0].family: unknown family 'gpt2' (expected one of bert, distilbert, roberta, electra, deberta-v2)",
            error.Message);
    }

    [Fact]
    public void Unreadable_study_file_is_a_spec_error()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "absent.yaml");

        var error = Assert.Throws<StudySpecException>(() => StudySpecParser.Load(path));

        Assert.StartsWith($"{path}: cannot read the study file", error.Message);
    }
}
