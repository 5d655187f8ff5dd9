namespace SweepCluster.Training.Storage;

/// <summary>
/// Where a study's files lie under the artifacts root (shared by the workers; read by report, predict and
/// up): the one place that names them.
/// <code>
/// ROOT/STUDY/BACKBONE/trial-NNNN/   summary.json, oof.csv, heldout.csv, fold-K/ (search trials)
/// ROOT/STUDY/BACKBONE/final/        the final retrain's model; final-heldout.csv beside it
/// ROOT/STUDY/classic/KIND/          a classic ensemble member
/// ROOT/STUDY/ensemble/              ensemble.json, submission.csv, probabilities.csv
/// ROOT/STUDY/report.html            the report `sweep up --until-done` writes
/// </code>
/// </summary>
public static class ArtifactLayout
{
    /// <summary>The environment variable that names the root when no option does.</summary>
    public const string RootVariable = "SWEEP_ARTIFACTS";

    /// <summary>The root's folder name when neither an option nor <see cref="RootVariable"/> names one (relative to the working folder).</summary>
    public const string DefaultRoot = "artifacts";

    /// <summary>How the default root reads in an option's help.</summary>
    public const string DefaultHelp = "$" + RootVariable + ", else ./" + DefaultRoot;

    /// <summary>The artifacts root: <paramref name="given"/> (an option), else $SWEEP_ARTIFACTS, else ./artifacts.</summary>
    public static string Root(string? given) => given ?? Environment.GetEnvironmentVariable(RootVariable) ?? DefaultRoot;

    /// <summary>A study's folder (member model paths in ensemble.json are relative to it).</summary>
    public static string Study(string root, string studyId) => Path.Combine(root, studyId);

    /// <summary>The HTML report `sweep up --until-done` writes.</summary>
    public static string ReportPage(string root, string studyId) => Path.Combine(root, studyId, "report.html");

    /// <summary>A search trial's folder.</summary>
    public static string Trial(string root, string studyId, string backbone, int number) =>
        Path.Combine(root, studyId, backbone, $"trial-{number:D4}");

    /// <summary>A trial's summary (value, parameters, hyperparameters, folds).</summary>
    public static string TrialSummary(string trialFolder) => Path.Combine(trialFolder, "summary.json");

    /// <summary>A trial's out-of-fold probabilities by training row (what fitted ensemble weights learn from).</summary>
    public static string OutOfFold(string trialFolder) => Path.Combine(trialFolder, "oof.csv");

    /// <summary>The mean over a trial's fold models of their probabilities on the held-out rows (what its folds member predicts there).</summary>
    public static string TrialHeldOut(string trialFolder) => Path.Combine(trialFolder, "heldout.csv");

    /// <summary>The prefix of a trial's fold model folders (fold-0, fold-1, …).</summary>
    public const string FoldModelPrefix = "fold-";

    /// <summary>Fold K's trained model of a search trial (final.models: folds), a TrainedModel folder.</summary>
    public static string FoldModel(string trialFolder, int fold) => Path.Combine(trialFolder, FoldModelPrefix + fold);

    /// <summary>The final retrain's trained model (a <see cref="Ensembles.TrainedModel"/> folder).</summary>
    public static string FinalModel(string root, string studyId, string backbone) => Path.Combine(root, studyId, backbone, "final");

    /// <summary>The final model's probabilities on the held-out rows.</summary>
    public static string FinalHeldOut(string root, string studyId, string backbone) => Path.Combine(root, studyId, backbone, "final-heldout.csv");

    /// <summary>A classic member's saved model.</summary>
    public static string ClassicModel(string root, string studyId, string kind) => Path.Combine(root, studyId, "classic", kind);

    /// <summary>The ensemble step's folder.</summary>
    public static string Ensemble(string root, string studyId) => Path.Combine(root, studyId, "ensemble");

    /// <summary>What the ensemble step found (<see cref="Ensembles.EnsembleReport"/>).</summary>
    public static string EnsembleReport(string root, string studyId) => Path.Combine(Ensemble(root, studyId), "ensemble.json");

    /// <summary>The ensemble's predictions on data.test, one label per row.</summary>
    public static string Submission(string root, string studyId) => Path.Combine(Ensemble(root, studyId), "submission.csv");

    /// <summary>The ensemble's probabilities on data.test.</summary>
    public static string Probabilities(string root, string studyId) => Path.Combine(Ensemble(root, studyId), "probabilities.csv");
}
