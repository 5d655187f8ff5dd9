using SweepCluster.Studies;
using SweepCluster.Training.Data;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Models;
using SweepCluster.Training.Preflight;

namespace SweepCluster.Worker.Training;

/// <summary>
/// The one mapping from the study spec (Studies' stored records) to what Training reads (its own plain
/// records), so Training needs neither Studies nor Orleans' serializer. It lives here, above both, because
/// the worker is where a spec meets training (the CLI's submit preflight comes through the worker's reference).
/// Field for field, same names; nothing is checked or defaulted here (the parser validated the spec).
/// </summary>
public static class SpecMapping
{
    /// <summary>What Training reads of the study, whatever the backbone.</summary>
    public static TrainingStudy ToTrainingStudy(this StudySpec spec) => new()
    {
        Data = spec.Data.ToDataSettings(),
        CvFolds = spec.CvFolds,
        Seed = spec.Seed,
        FinalRetrain = spec.Final.Retrain,
    };

    /// <summary>The study's <c>data:</c> section.</summary>
    public static DataSettings ToDataSettings(this DataSpec data) => new()
    {
        Train = data.Train,
        Test = data.Test,
        TextColumn = data.TextColumn,
        LabelColumns = data.LabelColumns,
        LabelMap = data.LabelMap,
        HoldoutFraction = data.HoldoutFraction,
        Balancing = data.Balancing,
        Delimiter = data.Delimiter,
        IdColumn = data.IdColumn,
        MinTextLength = data.MinTextLength,
    };

    /// <summary>The study's <c>training:</c> settings that trials fall back to (mixed_precision is the worker's, not Training's).</summary>
    public static TrainingSettings ToTrainingSettings(this TrainingSpec training) => new()
    {
        Epochs = training.Epochs,
        EarlyStoppingPatience = training.EarlyStoppingPatience,
        BatchSize = training.BatchSize,
    };

    /// <summary>One backbone, without its search space (trials read their drawn parameters, not the space).</summary>
    public static BackboneSettings ToBackboneSettings(this BackboneSpec backbone) => new()
    {
        Name = backbone.Name,
        Family = backbone.Family,
        Checkpoint = backbone.Checkpoint,
        MaxSequenceLength = backbone.MaxSequenceLength,
    };

    /// <summary>
    /// Every backbone with its search space, for <see cref="StudyPreflight.Run"/>. The space is parsed here if the
    /// spec holds only its text (a spec from the parser holds it typed).
    /// </summary>
    /// <exception cref="SweepCluster.Search.Space.SearchSpaceException">A stored space that does not parse.</exception>
    public static IReadOnlyList<PreflightBackbone> ToPreflightBackbones(this StudySpec spec) =>
        spec.Backbones.Select(b => new PreflightBackbone(b.ToBackboneSettings(), b.Space)).ToList();
}
