using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Pruning;

/// <summary>
/// Prunes on a trial's <em>predicted final</em> value rather than its current one: its curve so far is fitted
/// to y = a + b·e^(−c·t) (the usual shape of a validation-loss curve) and extrapolated to the step the
/// completed trials finished at, then compared with the given percentile of their final values. Unlike the
/// median rule it keeps slow starters whose curves are still falling steeply towards a better asymptote.
/// </summary>
public sealed class ExtrapolatingPruner : IPruner
{
    private static readonly double[] RateGrid = Enumerable.Range(0, 48).Select(i => 0.005 * Math.Pow(10, i / 16.0)).ToArray();

    public double Percentile { get; }
    public int NStartupTrials { get; }
    public int NWarmupSteps { get; }

    public ExtrapolatingPruner(double percentile = 50, int nStartupTrials = 5, int nWarmupSteps = 5)
    {
        if (!(percentile >= 0 && percentile <= 100)) throw new ArgumentException($"percentile must be in [0, 100], got {percentile}");
        if (nStartupTrials < 1) throw new ArgumentException($"n_startup_trials must be >= 1, got {nStartupTrials}");
        if (nWarmupSteps < 4) throw new ArgumentException($"n_warmup_steps must be >= 4 for a three-parameter curve fit, got {nWarmupSteps}");
        Percentile = percentile;
        NStartupTrials = nStartupTrials;
        NWarmupSteps = nWarmupSteps;
    }

    /// <summary>
    /// Prunes when the trial's predicted final loss is worse than the percentile of the completed trials'
    /// final losses. NaN finals are ignored (as Optuna's percentile pruner ignores NaN values); a trial that
    /// reported NaN is pruned, one that reached −∞ loss is kept, one whose last loss is +∞ is compared as
    /// +∞; other infinite points are left out of the curve fit.
    /// </summary>
    public bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction)
    {
        var completed = trials.Where(t => t.State == TrialState.Complete && t.LastReport is not null).ToList();
        if (completed.Count < NStartupTrials) return false;
        if (trial.LastReport is not { } last || last.Step < NWarmupSteps || trial.IntermediateValues.Count < 4) return false;

        var horizon = completed.Max(t => t.LastReport!.Value.Step);
        if (last.Step >= horizon) return false;
        // NaN finals are ignored and infinite ones are ordinary order statistics (see PercentilePruner.PercentileOf).
        var threshold = PercentilePruner.PercentileOf(completed.Select(t => direction.AsLoss(t.LastReport!.Value.Value)).ToList(), Percentile);
        if (double.IsNaN(threshold)) return false;

        var steps = trial.IntermediateValues.Keys.Select(s => (double)s).ToArray();
        var losses = trial.IntermediateValues.Values.Select(v => direction.AsLoss(v)).ToArray();
        if (losses.Any(double.IsNaN)) return true;
        // A loss of −∞ is the best there is; a last loss of +∞ has diverged. Neither can be fitted.
        if (losses.Any(double.IsNegativeInfinity)) return false;
        if (double.IsPositiveInfinity(losses[^1])) return losses[^1] > threshold;
        var finite = Enumerable.Range(0, losses.Length).Where(i => double.IsFinite(losses[i])).ToArray();
        if (finite.Length < 4) return losses[^1] > threshold;
        var prediction = PredictFinal(finite.Select(i => steps[i]).ToArray(), finite.Select(i => losses[i]).ToArray(), horizon);
        return (double.IsNaN(prediction) ? losses[^1] : prediction) > threshold;
    }

    /// <summary>
    /// Least-squares fit of a + b·e^(−c·t): for a fixed rate c, (a, b) is linear regression, so search c on a
    /// log grid and refine it by golden-section between the best point's neighbours.
    /// </summary>
    internal static double PredictFinal(double[] steps, double[] losses, double horizon)
    {
        var best = 0;
        (double Error, double Prediction) bestFit = (double.PositiveInfinity, losses[^1]);
        for (var i = 0; i < RateGrid.Length; i++)
        {
            var fit = Fit(steps, losses, RateGrid[i], horizon);
            if (fit.Error < bestFit.Error) (bestFit, best) = (fit, i);
        }
        if (double.IsPositiveInfinity(bestFit.Error)) return losses[^1];
        double low = RateGrid[Math.Max(0, best - 1)], high = RateGrid[Math.Min(RateGrid.Length - 1, best + 1)];
        const double invPhi = 0.6180339887498949;
        for (var iteration = 0; iteration < 40; iteration++)
        {
            var m1 = high - invPhi * (high - low);
            var m2 = low + invPhi * (high - low);
            if (Fit(steps, losses, m1, horizon).Error <= Fit(steps, losses, m2, horizon).Error) high = m2; else low = m1;
        }
        var refined = Fit(steps, losses, 0.5 * (low + high), horizon);
        return refined.Error <= bestFit.Error ? refined.Prediction : bestFit.Prediction;
    }

    private static (double Error, double Prediction) Fit(double[] steps, double[] losses, double rate, double horizon)
    {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        var n = steps.Length;
        for (var i = 0; i < n; i++)
        {
            var x = Math.Exp(-rate * steps[i]);
            sx += x; sy += losses[i]; sxx += x * x; sxy += x * losses[i];
        }
        var denominator = n * sxx - sx * sx;
        if (Math.Abs(denominator) < 1e-12) return (double.PositiveInfinity, double.NaN);
        var b = (n * sxy - sx * sy) / denominator;
        var a = (sy - b * sx) / n;
        double error = 0;
        for (var i = 0; i < n; i++)
        {
            var r = losses[i] - (a + b * Math.Exp(-rate * steps[i]));
            error += r * r;
        }
        return (error, a + b * Math.Exp(-rate * horizon));
    }
}
