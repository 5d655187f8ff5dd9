using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Pruning;

/// <summary>
/// What a pruner may use of a trial's earlier folds when it judges a report in fold k ≥ 1 (k-fold trials
/// report fold after fold; see <see cref="ReportPosition"/>). Either way a trial is only compared with the
/// others at the same (fold, epoch), warm-up protects the first epochs of every fold, and fold 0 is judged
/// exactly as a single learning curve (Optuna's rules).
/// </summary>
public enum FoldRule
{
    /// <summary>
    /// The default. Compare the running fold mean: the mean over folds 0..k of each fold's figure, the
    /// current fold's taken at this epoch. The objective is the mean over folds, so this is the estimate of
    /// it that the reports so far give; a trial good on fold 1 and bad on fold 2 keeps fold 1's credit and is
    /// pruned in fold 2 only when its mean so far falls behind the others' at that point.
    /// </summary>
    RunningMean,

    /// <summary>
    /// Compare the current fold alone: earlier folds are forgotten, so one bad fold prunes a trial however
    /// good its earlier folds were.
    /// </summary>
    CurrentFold,

    /// <summary>
    /// Race on finished folds. Fold 0 is judged epoch by epoch as a single learning curve; from fold 1 on a
    /// trial is judged only by the mean of its finished folds' figures (folds 0..k−1) against the same mean of
    /// the completed trials, at every report of fold k, and the current fold's partial curve is not used.
    /// A fold's end value is the quantity the objective averages, so this compares like with like even where
    /// early epochs misrank trials (curves that cross); a trial good on fold 1 and bad on fold 2 is judged on
    /// fold 2 only once fold 2 has finished. It is the racing idea of F-Race (Birattari et al., "A racing
    /// algorithm for configuring metaheuristics", GECCO 2002), with folds for instances and the pruner's
    /// percentile for the statistical test.
    /// </summary>
    CompletedFolds,
}

/// <summary>
/// Per-fold figures the pruners share, all on losses (<see cref="StudyDirectionExtensions.AsLoss"/>). Each
/// report asks them of every completed trial, so they are summarised once per trial and kept until its
/// report count changes (reports are only ever added): without that a 3-fold study of 100 trials spends
/// most of its pruning time rescanning finished trials.
/// </summary>
internal static class FoldFigures
{
    private sealed record Summary(int Count, Dictionary<int, FoldSummary> Folds);

    /// <summary>Raw (not loss) figures of one fold: NaN-ignoring min and max, the last value, the first epoch.</summary>
    private readonly record struct FoldSummary(double Min, double Max, double Last, int FirstEpoch, int LastEpoch);

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrialRecord, Summary> Summaries = new();

    private static FoldSummary? Of(TrialRecord trial, int fold)
    {
        if (!Summaries.TryGetValue(trial, out var summary) || summary.Count != trial.IntermediateValues.Count)
        {
            summary = Summarise(trial);
            Summaries.AddOrUpdate(trial, summary);
        }
        return summary.Folds.TryGetValue(fold, out var f) ? f : null;
    }

    private static Summary Summarise(TrialRecord trial)
    {
        var folds = new Dictionary<int, FoldSummary>();
        foreach (var (step, value) in trial.IntermediateValues)
        {
            var p = ReportPosition.FromStep(step);
            if (!folds.TryGetValue(p.Fold, out var f)) f = new FoldSummary(double.NaN, double.NaN, value, p.Epoch, p.Epoch);
            if (!double.IsNaN(value))
            {
                f = f with
                {
                    Min = double.IsNaN(f.Min) || value < f.Min ? value : f.Min,
                    Max = double.IsNaN(f.Max) || value > f.Max ? value : f.Max,
                };
            }
            folds[p.Fold] = f with { Last = value, LastEpoch = p.Epoch };
        }
        return new Summary(trial.IntermediateValues.Count, folds);
    }

    /// <summary>The best (lowest) loss of a fold, NaN ignored; NaN when the fold has no other value.</summary>
    public static double BestLoss(TrialRecord trial, int fold, StudyDirection direction) =>
        Of(trial, fold) is { } f ? direction.AsLoss(direction == StudyDirection.Minimize ? f.Min : f.Max) : double.NaN;

    /// <summary>The last loss a fold reported; NaN when it reported nothing.</summary>
    public static double LastLoss(TrialRecord trial, int fold, StudyDirection direction) =>
        Of(trial, fold) is { } f ? direction.AsLoss(f.Last) : double.NaN;

    /// <summary>
    /// (Σ of <paramref name="figure"/> over folds 0..k−1 + <paramref name="current"/>) / (k + 1): the running fold
    /// mean at fold k. NaN when an earlier fold has no figure (the trial skipped it, which workers never do).
    /// </summary>
    public static double RunningMean(TrialRecord trial, int fold, double current, Func<TrialRecord, int, double> figure)
    {
        var sum = current;
        for (var g = 0; g < fold; g++)
        {
            var value = figure(trial, g);
            if (double.IsNaN(value)) return double.NaN;
            sum += value;
        }
        return sum / (fold + 1);
    }

    /// <summary>
    /// The <see cref="FoldRule.CompletedFolds"/> judgement in fold k ≥ 1: true when the mean of the trial's
    /// <paramref name="figure"/> over its finished folds 0..k−1 is worse (a higher loss) than the
    /// <paramref name="percentile"/> of the same mean over the completed trials. Completed trials without a
    /// figure for one of those folds are left out; nothing is pruned while fewer than
    /// <paramref name="nMinTrials"/> remain, or when the trial's own mean is NaN.
    /// </summary>
    public static bool BehindOnFinishedFolds(IReadOnlyList<TrialRecord> completed, TrialRecord trial, int fold,
        double percentile, int nMinTrials, Func<TrialRecord, int, double> figure)
    {
        var score = FinishedMean(trial, fold, figure);
        if (double.IsNaN(score)) return false;
        var others = new List<double>(completed.Count);
        foreach (var t in completed)
        {
            var mean = FinishedMean(t, fold, figure);
            if (!double.IsNaN(mean)) others.Add(mean);
        }
        if (others.Count < nMinTrials) return false;
        var threshold = PercentilePruner.PercentileOf(others, percentile);
        return !double.IsNaN(threshold) && score > threshold;
    }

    /// <summary>Mean of <paramref name="figure"/> over folds 0..k−1; NaN when one of them has none.</summary>
    private static double FinishedMean(TrialRecord trial, int fold, Func<TrialRecord, int, double> figure)
    {
        var sum = 0.0;
        for (var g = 0; g < fold; g++)
        {
            var value = figure(trial, g);
            if (double.IsNaN(value)) return double.NaN;
            sum += value;
        }
        return sum / fold;
    }

    /// <summary>The epoch of the trial's first report in the fold, where its warm-up starts counting; 0 when none.</summary>
    public static int FirstEpoch(TrialRecord trial, int fold) => Of(trial, fold)?.FirstEpoch ?? 0;

    /// <summary>The epoch of the trial's last report in the fold; null when it never reported in it.</summary>
    public static int? LastEpoch(TrialRecord trial, int fold) => Of(trial, fold)?.LastEpoch;
}
