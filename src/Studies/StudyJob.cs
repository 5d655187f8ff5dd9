namespace SweepCluster.Studies;

/// <summary>What a leased job is: a search trial, a backbone's final retrain, or the study's ensemble step.</summary>
public enum JobStage { Search, FinalRetrain, Ensemble }

/// <summary>
/// The jobs a study runs after its search, leased and retried like trials. They live in trial grains under
/// backbone names no study can use ('~' is not allowed in names): "B~final" for backbone B's final retrain
/// and "~ensemble" for the ensemble step, each with number 0.
/// </summary>
public static class StudyJobs
{
    public const string EnsembleName = "~ensemble";
    private const string FinalSuffix = "~final";

    /// <summary>Parameter of a final retrain: the trial whose parameters it retrains with.</summary>
    public const string SourceTrialParam = "source_trial";
    /// <summary>Parameter of a final retrain: epochs, from the source trial's early-stopping points.</summary>
    public const string EpochsParam = "epochs";

    /// <summary>Parameter of the ensemble job under final.models: folds — backbone B's best trial number.</summary>
    public static string BestTrialParam(string backbone) => "best_trial:" + backbone;

    public static string FinalRetrainOf(string backbone) => backbone + FinalSuffix;

    /// <summary>The stage of a job from its backbone field, and the study backbone it belongs to (null for the ensemble).</summary>
    public static (JobStage Stage, string? Backbone) Parse(string jobBackbone) =>
        jobBackbone == EnsembleName ? (JobStage.Ensemble, null)
        : jobBackbone.EndsWith(FinalSuffix, StringComparison.Ordinal) ? (JobStage.FinalRetrain, jobBackbone[..^FinalSuffix.Length])
        : (JobStage.Search, jobBackbone);
}
