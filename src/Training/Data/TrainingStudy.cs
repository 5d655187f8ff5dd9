namespace SweepCluster.Training.Data;

/// <summary>
/// What Training reads of a study, whatever the backbone: its data and how it is split (folds, seed, whether a
/// final stage scores held-out rows). The training settings are FineTuning's <c>TrainingSettings</c>, given
/// beside it where needed, so data does not depend on fine-tuning. Names are the study
/// file's (docs/study-spec.md); the defaults too. A plain record, so Training needs neither the study parser
/// nor the stored spec records (the worker maps those: <c>SweepCluster.Worker.Training.SpecMapping</c>).
/// </summary>
public sealed record TrainingStudy
{
    /// <summary>The study file's <c>data:</c> section.</summary>
    public required DataSettings Data { get; init; }
    /// <summary>Stratified k-fold cross-validation folds per trial (1 = a single stratified split); <c>cv_folds</c>.</summary>
    public int CvFolds { get; init; } = 5;
    /// <summary>The study seed: the splits (the same for every backbone, trial and worker) derive from it.</summary>
    public int Seed { get; init; }
    /// <summary>
    /// <c>final.retrain</c>: whether the study has a final stage, whose models and ensemble are scored on the
    /// held-out rows (so those rows must cover every class, and a study holding out none is refused).
    /// </summary>
    public bool FinalRetrain { get; init; } = true;
}
