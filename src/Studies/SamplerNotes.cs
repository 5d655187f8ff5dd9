using SweepCluster.Search;
using SweepCluster.Search.Gp;
using SweepCluster.Search.Tpe;

namespace SweepCluster.Studies;

/// <summary>
/// Sampler settings that are valid but are probably not what the author meant. `sweep submit` prints them as notes,
/// with `--check` too. They never refuse a study: the settings below are legal, and some are deliberate (the README's
/// main job runs only start-up trials on purpose).
/// </summary>
public static class SamplerNotes
{
    /// <summary>
    /// Why sharing across backbones would change nothing ("with one backbone", "with the random sampler, …"), or null
    /// when it does something; the study file's note and <c>sweep sampler serve --share-across-backbones</c>'s both say it.
    /// </summary>
    public static string? SharingIdle(int backbones, SamplerKind kind) =>
        backbones == 1 ? "with one backbone"
        : kind == SamplerKind.Random ? "with the random sampler, which learns from no trial"
        : null;

    /// <summary>The notes for <paramref name="spec"/>, each a sentence naming the key; empty when there is nothing to say.</summary>
    public static IReadOnlyList<string> For(StudySpec spec)
    {
        var notes = new List<string>();
        var kind = SamplerSettings.ParseKind(spec.Sampler.Kind);
        if (spec.Sampler.Auto)
            notes.Add($"sampler.kind auto chose {spec.Sampler.Kind}: {AutoSampler.Choose(spec).Reason} (docs/study-spec.md, \"Which sampler when\"; set sampler.kind to choose yourself; a study already stored under this id keeps its sampler)");
        if (spec.Sampler.ShareAcrossBackbones && SharingIdle(spec.Backbones.Count, kind) is { } why)
            notes.Add($"sampler.share_across_backbones has no effect {why}");
        if (kind != SamplerKind.Random)
        {
            var startup = spec.Sampler.StartupTrials
                ?? (kind == SamplerKind.Gp ? new GpOptions().NStartupTrials : new TpeOptions().NStartupTrials);
            // With sharing, every backbone's finished trials count towards the start-up, so the model can take over sooner.
            var trialsSeen = spec.Sampler.ShareAcrossBackbones
                ? spec.Backbones.Sum(b => StudyLimits.TrialsOf(spec, b))
                : spec.Backbones.Max(b => StudyLimits.TrialsOf(spec, b));
            if (startup >= trialsSeen)
                notes.Add($"every trial is one of the sampler's {startup} start-up trials (the {spec.Sampler.Kind} model would take over after them, "
                    + $"but no backbone has more than {trialsSeen} trials{(spec.Sampler.ShareAcrossBackbones ? " counted across backbones" : "")}): "
                    + "the search is quasi-random; lower sampler.startup_trials for a model-based search");
        }
        if (kind == SamplerKind.Gp)
        {
            // One note per distinct list of parameters left to TPE, naming every backbone that has it.
            static string HandedToTpe(SweepCluster.Search.Space.SearchSpace space) => string.Join(", ", GpSampler.ParametersLeftToTpe(space));
            foreach (var group in spec.Backbones.GroupBy(b => HandedToTpe(b.Space)).Where(g => g.Key.Length > 0))
            {
                var names = group.Select(b => b.Name).ToList();
                notes.Add($"{(names.Count == 1 ? "backbone" : "backbones")} {string.Join(", ", names)}: the gp sampler hands {group.Key} to TPE: "
                    + "it models a conditional parameter only when its parents are unconditional and have more than one value (docs/study-spec.md)");
            }
        }
        return notes;
    }
}
