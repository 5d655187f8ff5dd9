namespace SweepCluster.Studies;

/// <summary>
/// What a leased job is: one trial of a backbone's search, a backbone's final retrain, or the study's ensemble
/// step. The numbers are pinned: trial grain state stores the kind.
/// </summary>
public enum JobKind { SearchTrial = 0, FinalRetrain = 1, Ensemble = 2 }

/// <summary>
/// One job of a study as its kind and its backbone (empty for the ensemble, which belongs to no backbone).
/// Post-search jobs are leased and retried like trials, in trial grains under names no study can use ('~' is
/// not allowed in names): "B~final" for backbone B's final retrain and "~ensemble" for the ensemble, each
/// number 0. Those names are storage identities (grain keys, the study's list of stage jobs) and nothing else:
/// <see cref="Name"/> and <see cref="FromName"/> are the only code that knows them.
/// </summary>
public readonly record struct StudyJob(JobKind Kind, string Backbone)
{
    private const string EnsembleName = "~ensemble";
    private const string FinalSuffix = "~final";

    /// <summary>Parameter of a final retrain: the trial whose parameters it retrains with.</summary>
    public const string SourceTrialParam = "source_trial";
    /// <summary>Parameter of a final retrain: epochs, from the source trial's early-stopping points.</summary>
    public const string EpochsParam = "epochs";

    /// <summary>Parameter of the ensemble job under final.models: folds — backbone B's best trial number.</summary>
    public static string BestTrialParam(string backbone) => "best_trial:" + backbone;

    /// <summary>The study's ensemble step.</summary>
    public static StudyJob Ensemble { get; } = new(JobKind.Ensemble, "");

    /// <summary>Backbone <paramref name="backbone"/>'s final retrain.</summary>
    public static StudyJob FinalRetrainOf(string backbone) => new(JobKind.FinalRetrain, backbone);

    /// <summary>A trial of backbone <paramref name="backbone"/>'s search.</summary>
    public static StudyJob SearchTrialOf(string backbone) => new(JobKind.SearchTrial, backbone);

    /// <summary>The name the job's grain key and the study's stored list use: "B", "B~final" or "~ensemble".</summary>
    public string Name => Kind switch
    {
        JobKind.FinalRetrain => Backbone + FinalSuffix,
        JobKind.Ensemble => EnsembleName,
        _ => Backbone,
    };

    /// <summary>The job a stored name stands for (the inverse of <see cref="Name"/>).</summary>
    public static StudyJob FromName(string name) =>
        name == EnsembleName ? Ensemble
        : name.EndsWith(FinalSuffix, StringComparison.Ordinal) ? FinalRetrainOf(name[..^FinalSuffix.Length])
        : SearchTrialOf(name);

    /// <summary>
    /// The job a stored record describes. Records written before jobs had a kind say "search trial" and carry
    /// the job's name in their backbone field ("B~final"); those are read as the job the name stands for.
    /// </summary>
    public static StudyJob FromStored(JobKind kind, string backbone) =>
        kind == JobKind.SearchTrial ? FromName(backbone) : new StudyJob(kind, backbone);
}
