using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Studies.Yaml;
using SweepCluster.Vocabulary;

namespace SweepCluster.Studies;

/// <summary>
/// Every closed set of names a study file accepts, and the value each name means. <see cref="StudySpecParser"/>
/// reads the file's words through them, and <see cref="StudyLimits.Problems"/> checks a spec that came without
/// the parser against them, so the grain refuses an undefined enum or an unknown kind at submit, not hours later.
/// </summary>
internal static class StudyChoices
{
    internal static readonly Choices<BackboneFamily> Families = new("family",
        [("bert", BackboneFamily.Bert), ("distilbert", BackboneFamily.DistilBert), ("roberta", BackboneFamily.Roberta),
         ("electra", BackboneFamily.Electra), ("deberta-v2", BackboneFamily.DebertaV2)],
        aliases: [("deberta-v3", BackboneFamily.DebertaV2), ("deberta", BackboneFamily.DebertaV2)]);
    internal static readonly Choices<Balancing> BalancingModes = new("balancing",
        [("none", Balancing.None), ("undersample", Balancing.Undersample), ("oversample", Balancing.Oversample), ("augment", Balancing.Augment)]);
    internal static readonly Choices<BackboneOrder> BackboneOrders = new("backbone_order",
        [("interleaved", BackboneOrder.Interleaved), ("sequential", BackboneOrder.Sequential)]);
    internal static readonly Choices<StudyDirection> Directions = new("direction",
        [("maximize", StudyDirection.Maximize), ("minimize", StudyDirection.Minimize)]);
    internal static readonly Choices<EnsembleKind> EnsembleKinds = new("ensemble",
        [("soft", EnsembleKind.Soft), ("hard", EnsembleKind.Hard), ("none", EnsembleKind.None)]);
    internal static readonly Choices<FinalModels> FinalModelChoices = new("final models",
        [("retrain", FinalModels.Retrain), ("folds", FinalModels.Folds)]);
    // The names of SweepCluster.Training.Baselines.ClassicModels.Kinds (Contracts does not reference Training).
    internal static readonly Choices<string> ClassicMemberKinds = Choices.Names("classic member", "tfidf_word", "tfidf_char", "nbsvm");
    internal static readonly Choices<WorkloadKind> WorkloadKinds = new("workload kind",
        [("train", WorkloadKind.Train), ("simulated", WorkloadKind.Simulated)]);
    internal static readonly Choices<string> Metrics = Choices.Names("metric", "f1", "accuracy", "precision", "recall", "roc_auc", "loss");
    // Search owns the kinds' names: the study file spells them as SamplerSettings/PrunerSettings parse them.
    internal static readonly Choices<string> SamplerKinds = Choices.Names("sampler kind", [.. SamplerSettings.KindNames]);
    // A study file may also say `auto` (the default there); the parser resolves it, so a stored spec never holds it.
    internal static readonly Choices<string> StudyFileSamplerKinds = Choices.Names("sampler kind", [AutoSampler.Name, .. SamplerSettings.KindNames]);
    internal static readonly Choices<string> PrunerKinds = Choices.Names("pruner kind", [.. PrunerSettings.KindNames]);
    internal static readonly Choices<string> FoldRules = Choices.Names("pruner fold_rule", [.. PrunerSettings.FoldRuleNames]);
    internal static readonly Choices<string> CurveFamilies = Choices.Names("curve family", "crossing", "parallel");

}
