using SweepCluster.Search.Space;
using SweepCluster.Studies;
using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Vocabulary;
using SweepCluster.Worker.Training;

namespace SweepCluster.Worker.Tests.Training;

/// <summary>The spec → Training mapping (<see cref="SpecMapping"/>): every field Training reads arrives with its value.</summary>
public sealed class SpecMappingTests
{
    private const string SpaceJson = """{"learning_rate":{"type":"float","low":1e-5,"high":5e-5,"log":true}}""";

    // Every value differs from its default, so a field the mapping forgot (left at the default) shows.
    private static readonly StudySpec Spec = new()
    {
        Name = "mapped",
        Data = new DataSpec
        {
            Train = "/data/train.tsv", Test = "/data/test.tsv", TextColumn = "comment_text", LabelColumns = ["toxic", "threat"],
            LabelMap = new Dictionary<string, int> { ["NO"] = 0, ["YES"] = 1 }, HoldoutFraction = 0.35, Balancing = Balancing.Augment,
            Delimiter = ";", IdColumn = "id", MinTextLength = 7,
        },
        Backbones =
        [
            new BackboneSpec { Name = "deberta", Family = BackboneFamily.DebertaV2, Checkpoint = "/ckpt/deberta", MaxSequenceLength = 256, Space = SearchSpace.FromJson(SpaceJson) },
            new BackboneSpec { Name = "bare", Family = BackboneFamily.Electra, Space = SearchSpace.FromJson("{}") },
        ],
        Budget = new BudgetSpec { TrialsPerBackbone = 4 },
        CvFolds = 3,
        Seed = 42,
        Final = new FinalSpec { Retrain = false },
        Training = new TrainingSpec { Epochs = 9, EarlyStoppingPatience = 4, BatchSize = 48, MixedPrecision = false },
    };

    [Fact]
    public void A_study_maps_field_for_field()
    {
        var study = Spec.ToTrainingStudy();

        Assert.Equal(3, study.CvFolds);
        Assert.Equal(42, study.Seed);
        Assert.False(study.FinalRetrain);
        Assert.Equal(new TrainingSettings { Epochs = 9, EarlyStoppingPatience = 4, BatchSize = 48 }, Spec.Training.ToTrainingSettings());
        var data = study.Data;
        Assert.Equal("/data/train.tsv", data.Train);
        Assert.Equal("/data/test.tsv", data.Test);
        Assert.Equal("comment_text", data.TextColumn);
        Assert.Equal(["toxic", "threat"], data.LabelColumns);
        Assert.Equal(new Dictionary<string, int> { ["NO"] = 0, ["YES"] = 1 }, data.LabelMap);
        Assert.Equal(0.35, data.HoldoutFraction);
        Assert.Equal(Balancing.Augment, data.Balancing);
        Assert.Equal(";", data.Delimiter);
        Assert.Equal("id", data.IdColumn);
        Assert.Equal(7, data.MinTextLength);
    }

    [Fact]
    public void Backbones_map_with_their_spaces_for_the_preflight()
    {
        var backbones = Spec.ToPreflightBackbones();

        Assert.Equal(2, backbones.Count);
        Assert.Equal(new BackboneSettings { Name = "deberta", Family = BackboneFamily.DebertaV2, Checkpoint = "/ckpt/deberta", MaxSequenceLength = 256 }, backbones[0].Backbone);
        Assert.Equal(["learning_rate"], backbones[0].Space.Parameters.Select(p => p.Name));
        Assert.Equal(new BackboneSettings { Name = "bare", Family = BackboneFamily.Electra, Checkpoint = null, MaxSequenceLength = 128 }, backbones[1].Backbone);
        Assert.Empty(backbones[1].Space.Parameters);
    }

    /// <summary>
    /// Training's records repeat the study file's defaults for callers without a spec (tests, benchmarks):
    /// they must be the spec's, or a benchmark would read data differently from a study.
    /// </summary>
    [Fact]
    public void The_training_records_defaults_are_the_specs()
    {
        var fromSpec = new StudySpec
        {
            Name = "defaults", Data = new DataSpec { Train = "t.csv" }, Budget = new BudgetSpec { TrialsPerBackbone = 1 },
            Backbones = [new BackboneSpec { Name = "b", Family = BackboneFamily.Bert, Space = SearchSpace.FromJson("{}") }],
        };
        var study = fromSpec.ToTrainingStudy();
        var defaults = new TrainingStudy { Data = new DataSettings { Train = "t.csv" } };

        Assert.Equal(defaults with { Data = study.Data }, study);
        Assert.Equal(defaults.Data with { LabelColumns = study.Data.LabelColumns, LabelMap = study.Data.LabelMap }, study.Data);
        Assert.Equal(defaults.Data.LabelColumns, study.Data.LabelColumns);
        Assert.Equal(defaults.Data.LabelMap, study.Data.LabelMap);
        Assert.Equal(new BackboneSettings { Name = "b", Family = BackboneFamily.Bert }, fromSpec.Backbones[0].ToBackboneSettings());
    }
}
