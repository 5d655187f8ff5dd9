using SweepCluster.Studies;
using SweepCluster.Search.Space;
using static SweepCluster.Studies.Tests.StudyYaml;
using SweepCluster.Search.Sampling;
using SweepCluster.Vocabulary;

namespace SweepCluster.Studies.Tests;

/// <summary>Valid study files become the records they describe.</summary>
public sealed class StudySpecParserTests
{
    private const string EveryField = """
        name: toxic-demo.v2
        seed: 42
        data:
          train: data/train.csv
          test: data/test.csv
          text_column: comment_text
          label_columns: [toxic, severe_toxic]
          label_map: {NON_EXTREMIST: 0, EXTREMIST: 1, HATE: 1}
          holdout_fraction: 0.1
          balancing: oversample
          delimiter: "\t"
          id_column: id
          min_text_length: 3
        objective: {metric: roc_auc, direction: minimize}
        cv_folds: 10
        budget: {trials_per_backbone: 30, max_parallel: 8, backbone_order: sequential}
        sampler: {kind: tpe_multivariate, startup_trials: 12, share_across_backbones: true}
        pruner: {kind: percentile, startup_trials: 4, warmup_steps: 2, interval_steps: 3, percentile: 25, fold_rule: current_fold}
        training: {epochs: 5, early_stopping_patience: 0, batch_size: 32, mixed_precision: false}
        workload: {kind: train, curve_family: parallel, steps: 20, step_seconds: 1.5, failure_rate: 0.25}
        trials: {lease_seconds: 12.5, max_attempts: 5}
        final: {retrain: false, ensemble: hard, fit_weights: true, classic_members: [nbsvm, tfidf_char], models: folds}
        search_space:
          learning_rate: {type: float, low: 1.0e-5, high: 1.0e-4, log: true}
          batch_size: {type: categorical, choices: [16, 32]}
        backbones:
          - name: distilbert
            family: distilbert
            checkpoint: models/distilbert
            trials: 20
            min_gpu_memory_mb: 8000
            max_sequence_length: 256
          - name: deberta
            family: deberta-v3
            checkpoint: /opt/models/deberta-v3-base
            search_space:
              learning_rate: {type: float, low: 2.0e-5, high: 2.0e-4, log: true}

        """;

    [Fact]
    public void Every_field_is_read_into_the_records()
    {
        var spec = StudySpecParser.Parse(EveryField);

        Assert.Equal("toxic-demo.v2", spec.Name);
        Assert.Equal(42, spec.Seed);
        Assert.Equal(10, spec.CvFolds);
        var data = spec.Data;
        Assert.Equal(("data/train.csv", "data/test.csv", "comment_text"), (data.Train, data.Test, data.TextColumn));
        Assert.Equal(["toxic", "severe_toxic"], data.LabelColumns);
        Assert.Equal(new Dictionary<string, int> { ["NON_EXTREMIST"] = 0, ["EXTREMIST"] = 1, ["HATE"] = 1 }, data.LabelMap);
        Assert.Equal((0.1, Balancing.Oversample, "\t", "id", 3), (data.HoldoutFraction, data.Balancing, data.Delimiter, data.IdColumn, data.MinTextLength));
        Assert.Equal(new ObjectiveSpec { Metric = "roc_auc", Direction = StudyDirection.Minimize }, spec.Objective);
        Assert.Equal(new BudgetSpec { TrialsPerBackbone = 30, MaxParallel = 8, BackboneOrder = BackboneOrder.Sequential }, spec.Budget);
        Assert.Equal(new SamplerSpec { Kind = "tpe_multivariate", StartupTrials = 12, ShareAcrossBackbones = true }, spec.Sampler);
        Assert.Equal(new PrunerSpec { Kind = "percentile", StartupTrials = 4, WarmupSteps = 2, IntervalSteps = 3, Percentile = 25, FoldRule = "current_fold" }, spec.Pruner);
        Assert.Equal(new TrainingSpec { Epochs = 5, EarlyStoppingPatience = 0, BatchSize = 32, MixedPrecision = false }, spec.Training);
        Assert.Equal(new WorkloadSpec { Kind = WorkloadKind.Train, CurveFamily = "parallel", Steps = 20, StepSeconds = 1.5, FailureRate = 0.25 }, spec.Workload);
        Assert.Equal(new TrialPolicySpec { LeaseSeconds = 12.5, MaxAttempts = 5 }, spec.Trials);
        Assert.Equal(new FinalSpec { Retrain = false, Ensemble = EnsembleKind.Hard, FitWeights = true, ClassicMembers = ["nbsvm", "tfidf_char"], Models = FinalModels.Folds }, spec.Final);

        var study = """{"learning_rate":{"type":"float","low":1E-05,"high":0.0001,"log":true},"batch_size":{"type":"categorical","choices":[16,32]}}""";
        Assert.Equal(
            new BackboneSpec { Name = "distilbert", Family = BackboneFamily.DistilBert, Checkpoint = "models/distilbert", Trials = 20, MinGpuMemoryMb = 8000, MaxSequenceLength = 256, Space = SearchSpace.FromJson(study) },
            spec.Backbones[0]);
        var deberta = """{"learning_rate":{"type":"float","low":2E-05,"high":0.0002,"log":true},"batch_size":{"type":"categorical","choices":[16,32]}}""";
        Assert.Equal(
            new BackboneSpec { Name = "deberta", Family = BackboneFamily.DebertaV2, Checkpoint = "/opt/models/deberta-v3-base", Space = SearchSpace.FromJson(deberta) },
            spec.Backbones[1]);
    }

    [Fact]
    public void Omitted_keys_take_the_records_defaults()
    {
        var spec = StudySpecParser.Parse(Minimal);

        Assert.Equal(0, spec.Seed);
        Assert.Equal(5, spec.CvFolds);
        Assert.Equal(new BudgetSpec { TrialsPerBackbone = 10, MaxParallel = 4 }, spec.Budget);
        Assert.Equal(new ObjectiveSpec(), spec.Objective);
        // The study file's sampler default is auto; this space is 1 GP column wide and has few trials, so gp.
        Assert.Equal(new SamplerSpec { Kind = "gp", Auto = true }, spec.Sampler);
        Assert.Equal(new PrunerSpec(), spec.Pruner);
        Assert.Equal(new TrainingSpec(), spec.Training);
        Assert.Equal(new WorkloadSpec { Kind = WorkloadKind.Simulated }, spec.Workload);
        Assert.Equal(new TrialPolicySpec(), spec.Trials);
        Assert.Equal(new FinalSpec(), spec.Final);
        var data = spec.Data;
        Assert.Equal(("train.csv", null, "text", 0.2, Balancing.None, null, null, 1),
            (data.Train, data.Test, data.TextColumn, data.HoldoutFraction, data.Balancing, data.Delimiter, data.IdColumn, data.MinTextLength));
        Assert.Equal(["label"], data.LabelColumns);
        Assert.Empty(data.LabelMap);
        var backbone = Assert.Single(spec.Backbones);
        Assert.Equal((null, null, 0L, 128), (backbone.Checkpoint, backbone.Trials, backbone.MinGpuMemoryMb, backbone.MaxSequenceLength));
    }

    [Fact]
    public void Null_values_mean_the_default()
    {
        var spec = StudySpecParser.Parse(Minimal + "seed: ~\ncv_folds:\nsampler: null\n");

        Assert.Equal((0, 5, new SamplerSpec { Kind = "gp", Auto = true }), (spec.Seed, spec.CvFolds, spec.Sampler));
    }

    [Fact]
    public void Label_column_is_shorthand_for_a_single_label_column()
    {
        var spec = StudySpecParser.Parse(Minimal.Replace("data: {train: train.csv}", "data: {train: train.csv, label_column: Extremism_Label}"));

        Assert.Equal(["Extremism_Label"], spec.Data.LabelColumns);
    }

    [Theory]
    [InlineData("deberta-v2")]
    [InlineData("deberta-v3")]
    [InlineData("deberta")]
    public void Deberta_family_names_all_mean_deberta_v2(string family)
    {
        var spec = StudySpecParser.Parse(Minimal.Replace("family: bert", $"family: {family}"));

        Assert.Equal(BackboneFamily.DebertaV2, spec.Backbones[0].Family);
    }

    [Fact]
    public void Backbone_overrides_replace_add_and_remove_parameters_of_the_study_space()
    {
        var yaml = WithRobertaLines(
            "search_space:",
            "  lr: {type: float, low: 1.0e-6, high: 1.0e-3, log: true}",
            "  warmup: {type: int, low: 0, high: 500, step: 100}",
            "  beta2: null");

        var spec = StudySpecParser.Parse(yaml);

        var inherited = spec.Backbone("distilbert").Space;
        Assert.Equal(["lr", "optimizer", "beta2"], inherited.Parameters.Select(p => p.Name));
        var merged = spec.Backbone("roberta").Space;
        Assert.Equal(["lr", "optimizer", "warmup"], merged.Parameters.Select(p => p.Name));
        Assert.Equal(new FloatDistribution(1e-6, 1e-3, Log: true), merged["lr"].Distribution);
        Assert.Equal(new IntDistribution(0, 500, Step: 100), merged["warmup"].Distribution);
    }

    [Fact]
    public void Each_backbone_may_bring_its_own_space_when_the_study_has_none()
    {
        var yaml = """
            name: own-spaces
            data: {train: t.csv}
            budget: {trials_per_backbone: 3}
            workload: {kind: simulated}
            backbones:
              - {name: a, family: bert, search_space: {lr: {type: float, low: 0.1, high: 0.2}}}
              - {name: b, family: electra, search_space: {layers: {type: int, low: 1, high: 4}}}
            """;

        var spec = StudySpecParser.Parse(yaml);

        Assert.Equal("""{"lr":{"type":"float","low":0.1,"high":0.2}}""", spec.Backbone("a").SpaceJson);
        Assert.Equal("""{"layers":{"type":"int","low":1,"high":4}}""", spec.Backbone("b").SpaceJson);
    }

    [Fact]
    public void Search_space_scalars_keep_their_yaml_types()
    {
        var yaml = Minimal.Replace("  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}", """
              lr: {type: float, low: 1e-5, high: 0.1, log: true}
              dropout: {type: float, low: 0, high: 1, step: 0.25}
              bs: {type: categorical, choices: [16, 32]}
              tokens: {type: categorical, choices: ["16", 'x', 2.5, true, false]}
              warm: {type: int, low: 0x0, high: 0o12, when: {bs: [16]}}
            """);

        var space = StudySpecParser.Parse(yaml).Backbones[0].Space;

        Assert.Equal(new FloatDistribution(1e-5, 0.1, Log: true), space["lr"].Distribution);
        Assert.Equal(new FloatDistribution(0, 1, Step: 0.25), space["dropout"].Distribution);
        Assert.Equal([16L, 32L], ((CategoricalDistribution)space["bs"].Distribution).Choices);
        Assert.Equal(["16", "x", 2.5, true, false], ((CategoricalDistribution)space["tokens"].Distribution).Choices);
        Assert.Equal(new IntDistribution(0, 10), space["warm"].Distribution);
        var condition = Assert.Single(space["warm"].Conditions);
        Assert.Equal("bs", condition.Parent);
        Assert.Equal([16L], condition.Values);
    }

    [Fact]
    public void Strings_may_be_written_as_numbers_or_quoted()
    {
        var spec = StudySpecParser.Parse(Minimal
            .Replace("name: minimal", "name: 2024")
            .Replace("data: {train: train.csv}", "data: {train: 'train.csv', text_column: \"text\", label_column: 1}"));

        Assert.Equal("2024", spec.Name);
        Assert.Equal(["1"], spec.Data.LabelColumns);
    }

    [Fact]
    public void Relative_paths_are_resolved_against_the_study_files_folder()
    {
        using var folder = new TempFolder();
        var yaml = EveryField.Replace("test: data/test.csv", "test: ../shared/test.csv");
        var path = folder.Write(Path.Combine("studies", "study.yaml"), yaml);

        var spec = StudySpecParser.Load(path);

        var studies = Path.Combine(folder.Path, "studies");
        Assert.Equal(Path.Combine(studies, "data", "train.csv"), spec.Data.Train);
        Assert.Equal(Path.Combine(folder.Path, "shared", "test.csv"), spec.Data.Test);
        Assert.Equal(Path.Combine(studies, "models", "distilbert"), spec.Backbones[0].Checkpoint);
        Assert.Equal("/opt/models/deberta-v3-base", spec.Backbones[1].Checkpoint);
    }

    [Fact]
    public void Parse_with_a_base_directory_makes_relative_paths_absolute()
    {
        var spec = StudySpecParser.Parse(Minimal, baseDirectory: "some/folder");

        Assert.Equal(Path.GetFullPath("some/folder/train.csv"), spec.Data.Train);
    }

    [Fact]
    public void Missing_files_lists_the_data_and_checkpoints_that_do_not_exist()
    {
        using var folder = new TempFolder();
        folder.Write(Path.Combine("data", "train.csv"), "text,label\n");
        Directory.CreateDirectory(Path.Combine(folder.Path, "models", "distilbert"));
        var path = folder.Write("study.yaml", EveryField);

        var missing = StudySpecParser.MissingFiles(StudySpecParser.Load(path));

        Assert.Equal([Path.Combine(folder.Path, "data", "test.csv"), "/opt/models/deberta-v3-base"], missing);
    }

    [Fact]
    public void The_simulated_example_loads()
    {
        var spec = StudySpecParser.Load(Path.Combine(RepositoryRoot(), "examples", "simulated-study.yaml"));

        Assert.Equal(WorkloadKind.Simulated, spec.Workload.Kind);
        Assert.Equal(new BudgetSpec { TrialsPerBackbone = 30, MaxParallel = 4 }, spec.Budget);
        Assert.Equal("median", spec.Pruner.Kind);
        Assert.Equal([BackboneFamily.DistilBert, BackboneFamily.Roberta, BackboneFamily.Electra], spec.Backbones.Select(b => b.Family));
        foreach (var backbone in spec.Backbones)
        {
            Assert.Null(backbone.Checkpoint);
            Assert.Equal(["lr", "reg", "momentum"], backbone.Space.Parameters.Select(p => p.Name));
        }
    }

    [Fact]
    public void The_complete_file_in_the_schema_reference_parses()
    {
        var reference = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "study-spec.md"));
        var start = reference.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
        var yaml = reference[start..reference.IndexOf("```", start, StringComparison.Ordinal)];

        var spec = StudySpecParser.Parse(yaml);

        Assert.Equal(["distilbert", "roberta"], spec.Backbones.Select(b => b.Name));
    }
}
