using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Pruning;

/// <summary>
/// Prunes a trial whose best value so far is worse than the given percentile of the completed trials'
/// values at the same position (Optuna's <c>PercentilePruner</c>/<c>MedianPruner</c> rule, applied per fold).
/// Positions are (fold, epoch) (<see cref="ReportPosition"/>): a k-fold trial is compared with the others at
/// the same epoch of the same fold, never across folds. Warm-up and interval count epochs of each fold:
/// with <c>NWarmupSteps</c> = n the first n epochs of every fold are never judged (Optuna's
/// <c>n_warmup_steps</c>, whose steps start at 0, protects the first n reports of its single curve: the same
/// rule). Checks happen once per interval of <c>IntervalSteps</c> epochs, and only when at least
/// <c>NStartupTrials</c> trials have completed and <c>NMinTrials</c> of them reported that position. What the
/// judgement of fold k ≥ 1 uses of earlier folds is <see cref="Rule"/>; fold 0 is Optuna's rule exactly.
/// </summary>
/// <remarks>
/// Sources: Optuna's MedianPruner and PercentilePruner (optuna.pruners, 3.1): "Prune if the best intermediate
/// result so far is worse than the given percentile of intermediate results of previous trials at the same step."
/// </remarks>
public sealed class PercentilePruner : IPruner
{
    /// <summary>In [0, 100]; 50 is the median. On losses the worse side is the upper one.</summary>
    public double Percentile { get; }
    /// <summary>Completed trials needed before anything is pruned.</summary>
    public int NStartupTrials { get; }
    /// <summary>Epochs at the start of every fold that are never judged.</summary>
    public int NWarmupSteps { get; }
    /// <summary>Epochs between checks within a fold, counted from the end of the warm-up.</summary>
    public int IntervalSteps { get; }
    /// <summary>Completed trials that must have reported the position for it to be judged.</summary>
    public int NMinTrials { get; }
    /// <summary>What a judgement in fold k ≥ 1 uses of earlier folds.</summary>
    public FoldRule Rule { get; }

    public PercentilePruner(double percentile, int nStartupTrials = 5, int nWarmupSteps = 0, int intervalSteps = 1, int nMinTrials = 1,
        FoldRule rule = FoldRule.RunningMean)
    {
        if (!(percentile >= 0 && percentile <= 100)) throw new ArgumentException($"percentile must be in [0, 100], got {percentile}");
        if (nStartupTrials < 0) throw new ArgumentException($"n_startup_trials must be >= 0, got {nStartupTrials}");
        if (nWarmupSteps < 0) throw new ArgumentException($"n_warmup_steps must be >= 0, got {nWarmupSteps}");
        if (intervalSteps < 1) throw new ArgumentException($"interval_steps must be >= 1, got {intervalSteps}");
        if (nMinTrials < 1) throw new ArgumentException($"n_min_trials must be >= 1, got {nMinTrials}");
        Percentile = percentile;
        NStartupTrials = nStartupTrials;
        NWarmupSteps = nWarmupSteps;
        IntervalSteps = intervalSteps;
        NMinTrials = nMinTrials;
        Rule = rule;
    }

    /// <summary>
    /// Optuna's <c>PercentilePruner.prune</c> at the trial's last position (fold k, epoch e): the trial's best
    /// value so far in fold k, NaN ignored (<c>np.nanmin</c>), against the percentile of the completed trials'
    /// values at (k, e), NaN ignored (<c>np.nanpercentile</c>). Under <see cref="FoldRule.RunningMean"/> both
    /// sides are running fold means: each earlier fold contributes its best value. Under
    /// <see cref="FoldRule.CompletedFolds"/> a report in fold k ≥ 1 is judged by the mean of the trial's earlier
    /// folds' best values alone, without warm-up or interval (they concern the current fold's curve). A trial whose reports in
    /// the fold are all NaN is pruned; when the completed trials' values at the position are all NaN nothing
    /// is pruned. NaN values still count towards n_min_trials, as in Optuna. Infinite values are ordinary
    /// values: +∞ (a diverged loss) is worse than anything finite.
    /// </summary>
    public bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction)
    {
        var completed = trials.Where(t => t.State == TrialState.Complete).ToList();
        if (completed.Count == 0 || completed.Count < NStartupTrials) return false;
        if (trial.LastPosition is not { } position) return false;
        if (Rule == FoldRule.CompletedFolds && position.Fold > 0)
            return FoldFigures.BehindOnFinishedFolds(completed, trial, position.Fold, Percentile, NMinTrials, Best);
        // Warm-up and intervals count epochs from the fold's first report, so they restart with every fold
        // and mean the same whether a client numbers epochs from 0 (Optuna) or from 1 (our workers).
        var firstEpoch = FoldFigures.FirstEpoch(trial, position.Fold);
        var epochsIn = position.Epoch - firstEpoch;
        if (epochsIn < NWarmupSteps) return false;
        if (!IsFirstReportInInterval(trial, position, firstEpoch)) return false;

        var bestSoFar = FoldFigures.BestLoss(trial, position.Fold, direction);
        if (double.IsNaN(bestSoFar)) return true; // nothing but NaN reported in this fold: nothing worth continuing
        var score = Rule == FoldRule.RunningMean ? FoldFigures.RunningMean(trial, position.Fold, bestSoFar, Best) : bestSoFar;
        if (double.IsNaN(score)) return false;

        var atPosition = new List<double>();
        foreach (var t in completed)
        {
            if (!t.TryGetValue(position, out var v)) continue;
            var loss = direction.AsLoss(v);
            atPosition.Add(Rule == FoldRule.RunningMean ? FoldFigures.RunningMean(t, position.Fold, loss, Best) : loss);
        }
        if (atPosition.Count < NMinTrials) return false;
        var threshold = PercentileOf(atPosition, Percentile);
        return !double.IsNaN(threshold) && score > threshold;

        double Best(TrialRecord t, int fold) => FoldFigures.BestLoss(t, fold, direction);
    }

    /// <summary>True when no earlier report of this fold falls in the same pruning interval (Optuna's rule, on epochs since the fold's first).</summary>
    private bool IsFirstReportInInterval(TrialRecord trial, ReportPosition position, int firstEpoch)
    {
        var relative = position.Epoch - firstEpoch;
        var intervalStart = (relative - NWarmupSteps) / IntervalSteps * IntervalSteps + NWarmupSteps;
        var previous = int.MinValue;
        foreach (var (epoch, _) in trial.ReportsInFold(position.Fold))
        {
            if (epoch != position.Epoch) previous = Math.Max(previous, epoch - firstEpoch);
        }
        return previous < intervalStart;
    }

    /// <summary>
    /// The linear-interpolation percentile (numpy's default method) of the values that are not NaN, as
    /// <c>np.nanpercentile</c>; NaN when none is left. Sorts <paramref name="values"/> in place.
    /// Infinite values are order statistics like any other. Where the interpolation weight is 0 the
    /// answer is that order statistic exactly: the textbook a + (b − a)·t would give 0.6 + ∞·0 = NaN for
    /// the median of [0.5, 0.6, ∞], which is 0.6.
    /// </summary>
    /// <param name="percentile">In [0, 100].</param>
    public static double PercentileOf(List<double> values, double percentile)
    {
        values.RemoveAll(double.IsNaN);
        if (values.Count == 0) return double.NaN;
        values.Sort();
        var position = percentile / 100.0 * (values.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, values.Count - 1);
        return Interpolate(values[lower], values[upper], position - lower);
    }

    /// <summary>a + (b − a)·t for a ≤ b and t in [0, 1), defined where either end is infinite.</summary>
    private static double Interpolate(double a, double b, double t)
    {
        if (t == 0 || a == b) return a;
        if (double.IsInfinity(a) && double.IsInfinity(b)) return t < 0.5 ? a : b; // −∞ … +∞: the nearer end
        if (double.IsInfinity(a)) return a; // −∞ … finite: every point strictly between is −∞ in the limit
        if (double.IsInfinity(b)) return b;
        var difference = b - a;
        // Ends near ±double.MaxValue: b − a overflows, the weighted sum does not.
        return double.IsFinite(difference) ? a + difference * t : a * (1 - t) + b * t;
    }
}
