using SweepCluster.Search.Sampling;

namespace SweepCluster.Search.Pruning;

/// <summary>
/// Prunes on a trial's <em>predicted final</em> value rather than its current one: the current fold's curve
/// so far is fitted to y = a + b·e^(−c·t), t the epoch (the usual shape of a validation-loss curve), and
/// extrapolated to the last epoch the completed trials reached in that fold, then compared with the given
/// percentile of the completed trials' final values of that fold. Unlike the median rule it keeps slow
/// starters whose curves are still falling steeply towards a better asymptote.
/// <para>
/// Each fold of a k-fold trial is its own curve (<see cref="ReportPosition"/>), so the fit never spans folds.
/// Under <see cref="FoldRule.RunningMean"/> (the default) the prediction for fold k is averaged with the
/// trial's final values of folds 0..k−1 and compared with the completed trials' running means over folds
/// 0..k. Under <see cref="FoldRule.CompletedFolds"/> only fold 0 is extrapolated; from fold 1 on a trial is
/// judged by the mean of its earlier folds' final values. With the running mean, fitting each fold and averaging is the same as fitting the running fold mean, which is an affine
/// function of the current fold's curve. Warm-up counts epochs of each fold and is at least 4, the points a
/// three-parameter fit needs.
/// </para>
/// </summary>
public sealed class ExtrapolatingPruner : IPruner
{
    private static readonly double[] RateGrid = Enumerable.Range(0, 48).Select(i => 0.005 * Math.Pow(10, i / 16.0)).ToArray();

    /// <summary>In [0, 100]: prune when the prediction is worse than this percentile of the completed finals.</summary>
    public double Percentile { get; }
    /// <summary>Completed trials (that finished the fold being judged) needed before anything is pruned.</summary>
    public int NStartupTrials { get; }
    /// <summary>Epochs at the start of every fold that are never judged; at least 4.</summary>
    public int NWarmupSteps { get; }
    /// <summary>What a judgement in fold k ≥ 1 uses of earlier folds.</summary>
    public FoldRule Rule { get; }

    public ExtrapolatingPruner(double percentile = 50, int nStartupTrials = 5, int nWarmupSteps = 5, FoldRule rule = FoldRule.RunningMean)
    {
        if (!(percentile >= 0 && percentile <= 100)) throw new ArgumentException($"percentile must be in [0, 100], got {percentile}");
        if (nStartupTrials < 1) throw new ArgumentException($"n_startup_trials must be >= 1, got {nStartupTrials}");
        if (nWarmupSteps < 4) throw new ArgumentException($"n_warmup_steps must be >= 4 for a three-parameter curve fit, got {nWarmupSteps}");
        Percentile = percentile;
        NStartupTrials = nStartupTrials;
        NWarmupSteps = nWarmupSteps;
        Rule = rule;
    }

    /// <summary>
    /// Prunes when the trial's predicted final loss (of the fold, or its running fold mean) is worse than the
    /// percentile of the completed trials' final losses (of the fold, or their running fold means). NaN
    /// finals are ignored (as Optuna's percentile pruner ignores NaN values); a trial that reported NaN in
    /// the fold is pruned, one that reached −∞ loss is kept, one whose last loss is +∞ is compared as +∞;
    /// other infinite points are left out of the curve fit.
    /// </summary>
    public bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction)
    {
        if (trial.LastPosition is not { } position) return false;
        var fold = position.Fold;
        if (Rule == FoldRule.CompletedFolds && fold > 0)
        {
            var finished = trials.Where(t => t.State == TrialState.Complete).ToList();
            return finished.Count >= NStartupTrials
                && FoldFigures.BehindOnFinishedFolds(finished, trial, fold, Percentile, 1, (r, g) => FoldFigures.LastLoss(r, g, direction));
        }
        var reports = trial.ReportsInFold(fold).ToArray();
        // Warm-up: the first NWarmupSteps epochs of the fold, counted from its first report, are never judged.
        if (position.Epoch - reports[0].Epoch < NWarmupSteps || reports.Length < 4) return false;

        var completed = trials.Where(t => t.State == TrialState.Complete && FoldFigures.LastEpoch(t, fold) is not null).ToList();
        if (completed.Count < NStartupTrials) return false;
        var horizon = completed.Max(t => FoldFigures.LastEpoch(t, fold)!.Value);
        if (position.Epoch >= horizon) return false;
        // NaN finals are ignored and infinite ones are ordinary order statistics (see PercentilePruner.PercentileOf).
        var finals = completed.Select(t => Score(t, FoldFigures.LastLoss(t, fold, direction))).ToList();
        var threshold = PercentilePruner.PercentileOf(finals, Percentile);
        if (double.IsNaN(threshold)) return false;

        var epochs = reports.Select(r => (double)r.Epoch).ToArray();
        var losses = reports.Select(r => direction.AsLoss(r.Value)).ToArray();
        if (losses.Any(double.IsNaN)) return true;
        // A loss of −∞ is the best there is; a last loss of +∞ has diverged. Neither can be fitted.
        if (losses.Any(double.IsNegativeInfinity)) return false;
        if (double.IsPositiveInfinity(losses[^1])) return Score(trial, losses[^1]) > threshold;
        var finite = Enumerable.Range(0, losses.Length).Where(i => double.IsFinite(losses[i])).ToArray();
        if (finite.Length < 4) return Score(trial, losses[^1]) > threshold;
        var prediction = PredictFinal(finite.Select(i => epochs[i]).ToArray(), finite.Select(i => losses[i]).ToArray(), horizon);
        var score = Score(trial, double.IsNaN(prediction) ? losses[^1] : prediction);
        return !double.IsNaN(score) && score > threshold;

        // The fold's figure, or the running mean of the trial's final losses of earlier folds and this figure.
        double Score(TrialRecord t, double current) => Rule == FoldRule.RunningMean
            ? FoldFigures.RunningMean(t, fold, current, (r, g) => FoldFigures.LastLoss(r, g, direction))
            : current;
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
