using SweepCluster.Contracts.Trials;

namespace SweepCluster.Cli.Reports;

/// <summary>
/// How much each parameter goes with the trial value: |Spearman rank correlation| between the parameter's
/// internal (numeric; categorical = choice index) value and the value over completed trials, normalised
/// to sum 1. Cheap and model-free; it sees monotone effects only, which the report's caption says.
/// </summary>
public static class ParameterImportance
{
    public const int MinimumTrials = 3;

    public const string Method =
        "Importance = |Spearman rank correlation| between each parameter (its internal value; a categorical's choice index) " +
        "and the trial value over completed trials, normalised to sum to 1. It measures monotone association only.";

    /// <summary>Parameter → importance, highest first; empty with fewer than <see cref="MinimumTrials"/> completed trials.</summary>
    public static IReadOnlyList<(string Parameter, double Importance)> Compute(IReadOnlyList<TrialView> completed)
    {
        var scored = completed.Where(t => t.Value is double v && double.IsFinite(v)).ToList();
        if (scored.Count < MinimumTrials) return [];
        var names = scored.SelectMany(t => t.InternalParams.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var raw = names.Select(name =>
        {
            var pairs = scored.Where(t => t.InternalParams.TryGetValue(name, out var p) && double.IsFinite(p))
                .Select(t => (Param: t.InternalParams[name], Value: t.Value!.Value)).ToList();
            var rho = pairs.Count >= MinimumTrials ? Spearman(pairs.Select(p => p.Param).ToList(), pairs.Select(p => p.Value).ToList()) : 0;
            return (Parameter: name, Importance: double.IsFinite(rho) ? Math.Abs(rho) : 0);
        }).ToList();
        var total = raw.Sum(r => r.Importance);
        return raw.Select(r => (r.Parameter, total > 0 ? r.Importance / total : 0))
            .OrderByDescending(r => r.Item2).ThenBy(r => r.Parameter, StringComparer.Ordinal).ToList();
    }

    /// <summary>Pearson correlation of the ranks (ties get their average rank); 0 when either side is constant.</summary>
    public static double Spearman(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count) throw new ArgumentException("x and y must have the same length");
        var (rx, ry) = (SweepCluster.Training.Evaluation.Ranks.Average(x), SweepCluster.Training.Evaluation.Ranks.Average(y));
        var (mx, my) = (rx.Average(), ry.Average());
        double covariance = 0, varianceX = 0, varianceY = 0;
        for (var i = 0; i < rx.Length; i++)
        {
            covariance += (rx[i] - mx) * (ry[i] - my);
            varianceX += (rx[i] - mx) * (rx[i] - mx);
            varianceY += (ry[i] - my) * (ry[i] - my);
        }
        return varianceX > 0 && varianceY > 0 ? covariance / Math.Sqrt(varianceX * varianceY) : 0;
    }
}
