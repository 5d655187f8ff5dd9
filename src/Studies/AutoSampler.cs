using SweepCluster.Search;
using SweepCluster.Search.Gp;

namespace SweepCluster.Studies;

/// <summary>
/// <c>sampler.kind: auto</c>, the study file's default: the sampler bench/Hpo/GP.md measured best for the study's
/// space and budget, chosen when the study file is read, so that the stored study names a concrete kind and every
/// restart asks the same sampler. (Optuna's documentation points users who are unsure to OptunaHub's AutoSampler for
/// the same reason: the best sampler depends on the space and the budget.)
/// <list type="bullet">
/// <item><c>gp</c> when no backbone's space is more than <see cref="MaxGpWidth"/> GP columns wide, and the GP would fit
/// at most <see cref="MaxGpTrialsPerBackbone"/> trials per backbone and <see cref="MaxGpPoints"/> trials in all (with
/// <c>share_across_backbones</c>, every backbone's trials). gp had the best mean after 25 and 50 trials on all 15 suite
/// functions, after 10 and 100 on 12; on conditional spaces it was ahead of TPE after 25, 50 and 100 trials on both
/// conditional hold-out functions and level with it after 100 on the suite's conditional_mixed (bench/Hpo/GP.md).</item>
/// <item><c>tpe</c> otherwise: past a few hundred trials a GP ask costs O(n³) (21–35 ms at 200 trials on 2 cores,
/// `gpcost`; 55 ms on conditional_mixed, which fits a second GP), and its quality was measured only to 100
/// trials.</item>
/// </list>
/// </summary>
public static class AutoSampler
{
    /// <summary>The study file's name for the automatic choice.</summary>
    public const string Name = "auto";

    /// <summary>
    /// The largest budget per backbone auto chooses gp for. bench/Hpo/GP.md ("gp at 100 trials") compares gp with our
    /// TPE and Optuna 3.1's TPE after 100 trials on the suite; its asks stay in milliseconds there.
    /// </summary>
    public const int MaxGpTrialsPerBackbone = 100;

    /// <summary>The largest GP that `gpcost` timed (200 trials: under 100 ms an ask on 2 cores).</summary>
    public const int MaxGpPoints = 200;

    /// <summary>
    /// The widest GP input (<see cref="GpSampler.EncodedWidth"/>) auto chooses gp for. Measured on an idle 2-core VM
    /// (CPU ms per ask at 200 trials, a scratch driver of the public API): 80 float columns 92 ms, a 50-choice
    /// categorical plus 2 floats (52 columns) 88 ms, a 200-choice one (202 columns) 155 ms, and 140 ms already at 100 trials. Nothing was timed between 80 and 202
    /// columns, so the threshold sits between the widths that stayed under 100 ms and the one that did not.
    /// </summary>
    public const int MaxGpWidth = 100;

    /// <summary>The kind <c>auto</c> means for <paramref name="spec"/>, and why, as one clause for a note.</summary>
    public static (SamplerKind Kind, string Reason) Choose(StudySpec spec)
    {
        var (widest, width) = spec.Backbones.Select(b => (b, GpSampler.EncodedWidth(b.Space))).MaxBy(w => w.Item2);
        if (width > MaxGpWidth)
            return (SamplerKind.Tpe, $"backbone {widest.Name}'s space is {width} GP columns wide (one per number, one per categorical choice"
                + (widest.Space.Parameters.Any(p => p.IsConditional) ? "; conditional parameters in their widest branch" : "")
                + $"), more than the {MaxGpWidth} the GP is chosen for");
        var perBackbone = spec.Backbones.Max(b => StudyLimits.TrialsOf(spec, b));
        // With per-backbone `trials:` overrides the largest budget decides; "N trials per backbone" would misstate
        // the others', so the note then names the backbone that has it.
        var largest = spec.Backbones.First(b => StudyLimits.TrialsOf(spec, b) == perBackbone);
        var uniform = spec.Backbones.All(b => StudyLimits.TrialsOf(spec, b) == perBackbone);
        if (perBackbone > MaxGpTrialsPerBackbone)
            return (SamplerKind.Tpe, uniform
                ? $"{perBackbone} trials per backbone is more than the {MaxGpTrialsPerBackbone} the GP is chosen for"
                : $"backbone {largest.Name} has {perBackbone} trials, more than the {MaxGpTrialsPerBackbone} per backbone the GP is chosen for");
        var points = spec.Sampler.ShareAcrossBackbones ? StudyLimits.TotalTrials(spec) : perBackbone;
        if (points > MaxGpPoints)
            return (SamplerKind.Tpe, $"a shared GP would fit {points} trials, more than the {MaxGpPoints} it is chosen for");
        return (SamplerKind.Gp, (uniform
                ? $"{perBackbone} trials per backbone (gp up to {MaxGpTrialsPerBackbone})"
                : $"{perBackbone} trials on backbone {largest.Name}, the most of any (gp up to {MaxGpTrialsPerBackbone} per backbone)")
            + (spec.Sampler.ShareAcrossBackbones ? $", {points} in all when shared (gp up to {MaxGpPoints})" : ""));
    }
}
