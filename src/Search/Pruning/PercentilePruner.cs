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

        var atStep = completed
            .Where(t => t.IntermediateValues.TryGetValue(step, out var v) && !double.IsNaN(v))
            .Select(t => direction.AsLoss(t.IntermediateValues[step]))
            .ToList();
        if (atStep.Count < NMinTrials) return false;
        // On losses the "worse" side is always the upper one, so the percentile is taken as given.
        var threshold = PercentileOf(atStep, Percentile);
        return bestSoFar > threshold;
    }

    /// <summary>True when no earlier report of this trial falls in the same pruning interval as <paramref name="step"/>.</summary>
    private bool IsFirstReportInInterval(TrialRecord trial, int step)
    {
        var intervalStart = (step - NWarmupSteps) / IntervalSteps * IntervalSteps + NWarmupSteps;
        var previous = trial.IntermediateValues.Keys.Where(s => s != step).DefaultIfEmpty(int.MinValue).Max();
        return previous < intervalStart;
    }

    /// <summary>Linear-interpolation percentile (numpy's default).</summary>
    internal static double PercentileOf(List<double> values, double percentile)
    {
        values.Sort();
        var position = percentile / 100.0 * (values.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, values.Count - 1);
        var fraction = position - lower;
        return values[lower] + (values[upper] - values[lower]) * fraction;
    }
}
