using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Pruning;

/// <summary>
/// Prunes a trial whose best value so far is worse than the given percentile of the completed trials'
/// values at the same step (Optuna's rule). Checks happen only after the warm-up steps, once per interval,
/// and only when at least <c>NStartupTrials</c> trials have completed and <c>NMinTrials</c> reported that step.
/// </summary>
public sealed class PercentilePruner : IPruner
{
    public double Percentile { get; }
    public int NStartupTrials { get; }
    public int NWarmupSteps { get; }
    public int IntervalSteps { get; }
    public int NMinTrials { get; }

    public PercentilePruner(double percentile, int nStartupTrials = 5, int nWarmupSteps = 0, int intervalSteps = 1, int nMinTrials = 1)
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
    }

    /// <summary>
    /// Optuna's <c>PercentilePruner.prune</c>: the trial's best intermediate value so far, NaN ignored
    /// (<c>np.nanmin</c>), against the percentile of the completed trials' values at this step, NaN ignored
    /// (<c>np.nanpercentile</c>). A trial whose reports are all NaN is pruned; when the completed trials'
    /// values at the step are all NaN nothing is pruned. NaN values still count towards n_min_trials, as in
    /// Optuna. Infinite values are ordinary values: +∞ (a diverged loss) is worse than anything finite.
    /// </summary>
    public bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction)
    {
        var completed = trials.Where(t => t.State == TrialState.Complete).ToList();
        if (completed.Count == 0 || completed.Count < NStartupTrials) return false;
        if (trial.LastReport is not { } last) return false;
        var step = last.Step;
        if (step < NWarmupSteps) return false;
        if (!IsFirstReportInInterval(trial, step)) return false;

        var bestSoFar = trial.IntermediateValues.Values
            .Where(v => !double.IsNaN(v))
            .Select(v => direction.AsLoss(v))
            .DefaultIfEmpty(double.NaN)
            .Min();
        if (double.IsNaN(bestSoFar)) return true; // nothing but NaN reported: nothing worth continuing

        var atStep = new List<double>();
        foreach (var t in completed)
        {
            if (t.IntermediateValues.TryGetValue(step, out var v)) atStep.Add(direction.AsLoss(v));
        }
        if (atStep.Count < NMinTrials) return false;
        // On losses the "worse" side is always the upper one, so the percentile is taken as given.
        var threshold = PercentileOf(atStep, Percentile);
        return !double.IsNaN(threshold) && bestSoFar > threshold;
    }

    /// <summary>True when no earlier report of this trial falls in the same pruning interval as <paramref name="step"/>.</summary>
    private bool IsFirstReportInInterval(TrialRecord trial, int step)
    {
        var intervalStart = (step - NWarmupSteps) / IntervalSteps * IntervalSteps + NWarmupSteps;
        var previous = trial.IntermediateValues.Keys.Where(s => s != step).DefaultIfEmpty(int.MinValue).Max();
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
    internal static double PercentileOf(List<double> values, double percentile)
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
