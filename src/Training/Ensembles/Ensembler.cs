using System.Globalization;
using SweepCluster.Training.Evaluation;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Data;

namespace SweepCluster.Training.Ensembles;

/// <summary>How members' probabilities become the ensemble's, and probabilities become decisions.</summary>
public sealed record EnsembleRule(string Method, string Task, IReadOnlyDictionary<string, double> Weights, IReadOnlyList<double> Thresholds)
{
    public bool MultiLabel => Task == "MultiLabel";
}

/// <summary>
/// The ensemble arithmetic, in one place for the ensemble step and `sweep predict`: soft voting (the
/// weighted mean of the members' probabilities), hard voting (the share of members deciding each class),
/// decisions by the thresholds chosen on out-of-fold data, and the fitting of weights and thresholds.
/// </summary>
public static class Ensembler
{
    /// <summary>The ensemble's probabilities for each row: soft = weighted mean; hard = share of member votes; none = the heaviest member's.</summary>
    public static double[][] Combine(EnsembleRule rule, IReadOnlyDictionary<string, double[][]> members)
    {
        var names = rule.Weights.Keys.Where(members.ContainsKey).ToList();
        if (names.Count == 0) throw new InvalidDataException($"no member predictions for {string.Join(", ", rule.Weights.Keys)}");
        var rows = members[names[0]].Length;
        var width = members[names[0]][0].Length;
        if (rule.Method == "none") return members[names.MaxBy(n => rule.Weights[n])!];
        var combined = new double[rows][];
        for (var i = 0; i < rows; i++)
        {
            var p = new double[width];
            foreach (var name in names)
            {
                var weight = rule.Weights[name];
                var member = members[name][i];
                if (rule.Method == "hard")
                {
                    var decision = Decide(member, rule);
                    for (var j = 0; j < width; j++) p[j] += weight * decision[j];
                }
                else
                {
                    for (var j = 0; j < width; j++) p[j] += weight * member[j];
                }
            }
            var total = names.Sum(n => rule.Weights[n]);
            for (var j = 0; j < width; j++) p[j] /= total;
            combined[i] = p;
        }
        return combined;
    }

    /// <summary>A 0/1 decision per output: per-label thresholds (multi-label), the positive-class threshold (binary), or arg max.</summary>
    public static int[] Decide(double[] probabilities, EnsembleRule rule)
    {
        var decision = new int[probabilities.Length];
        if (rule.MultiLabel)
        {
            for (var j = 0; j < probabilities.Length; j++) decision[j] = probabilities[j] >= rule.Thresholds[j] ? 1 : 0;
        }
        else if (probabilities.Length == 2 && rule.Thresholds.Count == 1)
        {
            decision[probabilities[1] >= rule.Thresholds[0] ? 1 : 0] = 1;
        }
        else
        {
            decision[Array.IndexOf(probabilities, probabilities.Max())] = 1;
        }
        return decision;
    }

    /// <summary>The report of the study's metrics for these rows under these thresholds.</summary>
    public static ClassificationReport Score(IReadOnlyList<double[]> probabilities, TrainingTargets targets, IReadOnlyList<int> rows, IReadOnlyList<double> thresholds) => targets switch
    {
        TrainingTargets.SingleLabel single => ClassificationMetrics.SingleLabel(probabilities, rows.Select(r => single.Classes[r]).ToArray(),
            thresholds.Count == 1 ? thresholds[0] : null),
        TrainingTargets.MultiLabel multi => ClassificationMetrics.MultiLabel(probabilities, rows.Select(r => multi.Labels[r]).ToArray(), thresholds),
        _ => throw new ArgumentException($"unknown targets {targets}"),
    };

    /// <summary>
    /// Thresholds chosen on out-of-fold data: binary, the positive-class threshold in 0.05…0.95 that gives
    /// the best value of the study's metric (F1 when the metric does not depend on a threshold: roc_auc,
    /// loss); multi-label, each label's own threshold by that label's F1; multi-class, none (arg max).
    /// </summary>
    public static IReadOnlyList<double> ChooseThresholds(IReadOnlyList<double[]> probabilities, TrainingTargets targets, IReadOnlyList<int> rows, string metric, bool higherIsBetter)
    {
        var candidates = Enumerable.Range(5, 91).Select(i => i / 100.0).ToArray();
        switch (targets)
        {
            case TrainingTargets.SingleLabel { ClassCount: 2 }:
                var thresholdMetric = metric is "roc_auc" or "loss" ? "f1" : metric;
                var better = metric is "roc_auc" or "loss" || higherIsBetter;
                return [Best(candidates, t => Score(probabilities, targets, rows, [t]).Metric(thresholdMetric), better)];
            case TrainingTargets.MultiLabel multi:
                var labels = probabilities[0].Length;
                return Enumerable.Range(0, labels).Select(j =>
                {
                    var scores = probabilities.Select(p => new[] { p[j] }).ToArray();
                    var column = rows.Select(r => new[] { multi.Labels[r][j] }).ToArray();
                    return Best(candidates, t => ClassificationMetrics.MultiLabel(scores, column, [t]).F1, higherIsBetter: true);
                }).ToArray();
            default:
                return [];
        }
    }

    /// <summary>
    /// Non-negative weights summing to 1 that minimise the out-of-fold log loss of the soft vote, by a grid
    /// over the simplex: steps of 0.05 for up to three members (231 points for three), 0.1 for four or five
    /// (286 and 1,001 points), 0.2 beyond (252 for six, 792 for eight), so the fit stays within seconds.
    /// Log loss is used rather than the study's metric because it is smooth and does not depend on the
    /// threshold chosen afterwards. Members left at weight 0 are not in the result (they are dropped).
    /// </summary>
    public static IReadOnlyDictionary<string, double> FitWeights(IReadOnlyDictionary<string, double[][]> outOfFold, TrainingTargets targets, IReadOnlyList<int> rows, bool multiLabel)
    {
        var names = outOfFold.Keys.Order(StringComparer.Ordinal).ToList();
        if (names.Count == 1) return new Dictionary<string, double> { [names[0]] = 1 };
        var steps = names.Count <= 3 ? 20 : names.Count <= 5 ? 10 : 5;
        double[]? best = null;
        var bestLoss = double.PositiveInfinity;
        foreach (var grid in Simplex(names.Count, steps))
        {
            var weights = grid.Select(g => g / (double)steps).ToArray();
            var rule = new EnsembleRule("soft", multiLabel ? "MultiLabel" : "SingleLabel", names.Select((n, i) => (n, weights[i])).Where(x => x.Item2 > 0).ToDictionary(x => x.n, x => x.Item2), []);
            var loss = Score(Combine(rule, outOfFold), targets, rows, multiLabel ? Enumerable.Repeat(0.5, outOfFold[names[0]][0].Length).ToArray() : []).Loss;
            if (loss < bestLoss - 1e-12)
            {
                bestLoss = loss;
                best = weights;
            }
        }
        return names.Select((n, i) => (n, best![i])).Where(x => x.Item2 > 0).ToDictionary(x => x.n, x => x.Item2);
    }

    /// <summary>Equal weights over the members.</summary>
    public static IReadOnlyDictionary<string, double> EqualWeights(IEnumerable<string> members)
    {
        var names = members.ToList();
        return names.ToDictionary(n => n, _ => 1.0 / names.Count);
    }

    /// <summary>A score row for the report: every metric, ROC-AUC by label, confusion matrices.</summary>
    public static ScoreRow Row(string name, string kind, ClassificationReport report, IReadOnlyList<string> classNames, bool multiLabel)
    {
        var metrics = new Dictionary<string, double>
        {
            ["accuracy"] = report.Accuracy, ["precision"] = report.Precision, ["recall"] = report.Recall, ["f1"] = report.F1, ["loss"] = report.Loss,
        };
        if (report.RocAuc is double auc) metrics["roc_auc"] = auc;
        var byLabel = report.PerLabel.Select((s, i) => (Name: classNames[i], s.RocAuc)).Where(x => x.RocAuc is not null).ToDictionary(x => x.Name, x => x.RocAuc!.Value);
        var confusion = multiLabel
            ? report.Confusion.Select((m, i) => (classNames[i], ToJagged(m.Counts))).ToDictionary(x => x.Item1, x => x.Item2)
            : new Dictionary<string, int[][]> { ["all"] = ToJagged(report.Confusion[0].Counts) };
        return new ScoreRow { Name = name, Kind = kind, Metrics = metrics, RocAucByLabel = byLabel, Confusion = confusion };
    }

    /// <summary>The member with the best held-out value of the metric (the one the ensemble must beat).</summary>
    public static ScoreRow BestMember(IReadOnlyList<ScoreRow> members, string metric, bool higherIsBetter) =>
        higherIsBetter ? members.MaxBy(m => m.Metrics.GetValueOrDefault(metric, double.NaN))! : members.MinBy(m => m.Metrics.GetValueOrDefault(metric, double.NaN))!;

    /// <summary>
    /// Whether the ensemble beats its best member on the held-out rows, said plainly. With a paired
    /// bootstrap of (ensemble − member) for the metric in <paramref name="comparison"/>, the verdict follows
    /// its 95% interval: "beats" when the interval lies wholly on the better side of 0, "is worse than" when
    /// wholly on the worse side, else "cannot be told apart from". Without one, the point values decide.
    /// </summary>
    public static string Verdict(ScoreRow ensemble, IReadOnlyList<ScoreRow> members, string metric, bool higherIsBetter, IReadOnlyList<BootstrapDifference>? comparison = null)
    {
        if (members.Count == 0) return "no members were scored";
        var best = BestMember(members, metric, higherIsBetter);
        var e = ensemble.Metrics.GetValueOrDefault(metric, double.NaN);
        var b = best.Metrics.GetValueOrDefault(metric, double.NaN);
        var margin = higherIsBetter ? e - b : b - e;
        string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        if (comparison?.FirstOrDefault(c => c.Metric == metric) is { } main && !double.IsNaN(main.Low))
        {
            var better = higherIsBetter ? main.Low > 0 : main.High < 0;
            var worse = higherIsBetter ? main.High < 0 : main.Low > 0;
            var verb = better ? "beats" : worse ? "is worse than" : "cannot be told apart from";
            var details = string.Join("; ", comparison.Where(c => !double.IsNaN(c.Low)).Select(Describe));
            return $"The ensemble {verb} its best member ({best.Name}) on the held-out rows: {metric} {F(e)} against {F(b)}; {details}"
                + (better ? "." : $"; use {best.Name} alone, or more diverse members.");
        }
        return margin > 0
            ? $"The ensemble beats its best member ({best.Name}) on the held-out rows: {metric} {F(e)} against {F(b)} (+{F(margin)})."
            : $"The ensemble does NOT beat its best member ({best.Name}) on the held-out rows: {metric} {F(e)} against {F(b)}; use {best.Name} alone, or more diverse members.";
    }

    /// <summary>"roc_auc ensemble − best +0.0100 ± 0.0050 (95% interval −0.0010 to +0.0200, 1000 paired bootstrap resamples)".</summary>
    public static string Describe(BootstrapDifference d)
    {
        string S(double v) => v.ToString("+0.0000;-0.0000;0.0000", CultureInfo.InvariantCulture);
        return $"{d.Metric} ensemble − {d.Against} {S(d.Observed)} ± {d.StandardError.ToString("0.0000", CultureInfo.InvariantCulture)} (95% interval {S(d.Low)} to {S(d.High)}, {d.Resamples} paired bootstrap resamples)";
    }

    /// <summary>
    /// Paired bootstrap of <c>score(ensemble) − score(member)</c> over <paramref name="rows"/> rows (Efron &amp;
    /// Tibshirani 1993): each resample draws rows with replacement (System.Random with a fixed seed, so
    /// the result is reproducible) and scores both on the same draw. Resamples whose difference is NaN
    /// (e.g. ROC-AUC of a draw with one class) are skipped. The interval is the 2.5th and 97.5th
    /// percentiles, linearly interpolated (numpy's default); the standard error is the sample standard
    /// deviation of the resampled differences.
    /// </summary>
    /// <param name="ensemble">Score of the ensemble on the given row positions (0…rows−1, repeats allowed).</param>
    /// <param name="member">Score of the member on the same positions.</param>
    /// <exception cref="ArgumentOutOfRangeException">rows or resamples below 1.</exception>
    public static BootstrapDifference PairedBootstrap(string metric, string against, int rows, Func<int[], double> ensemble, Func<int[], double> member, int resamples = 1000, int seed = 20240601)
    {
        if (rows < 1) throw new ArgumentOutOfRangeException(nameof(rows), rows, "the bootstrap needs at least one row");
        if (resamples < 1) throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "the bootstrap needs at least one resample");
        var all = Enumerable.Range(0, rows).ToArray();
        var observed = ensemble(all) - member(all);
        var random = new Random(seed);
        var differences = new List<double>(resamples);
        var draw = new int[rows];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < rows; i++) draw[i] = random.Next(rows);
            var d = ensemble(draw) - member(draw);
            if (!double.IsNaN(d)) differences.Add(d);
        }
        if (differences.Count < 2) return new BootstrapDifference(metric, against, observed, double.NaN, double.NaN, double.NaN, double.NaN, differences.Count);
        differences.Sort();
        var mean = differences.Average();
        var sd = Math.Sqrt(differences.Sum(d => (d - mean) * (d - mean)) / (differences.Count - 1));
        return new BootstrapDifference(metric, against, observed, mean, sd, Percentile(differences, 2.5), Percentile(differences, 97.5), differences.Count);
    }

    /// <summary>The p-th percentile of sorted values, linear between closest ranks (numpy.percentile's default).</summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        var position = p / 100 * (sorted.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }

    private static double Best(IEnumerable<double> candidates, Func<double, double> value, bool higherIsBetter)
    {
        var best = 0.5;
        var bestValue = higherIsBetter ? double.NegativeInfinity : double.PositiveInfinity;
        foreach (var t in candidates)
        {
            var v = value(t);
            if (double.IsNaN(v)) continue;
            if (higherIsBetter ? v > bestValue + 1e-12 : v < bestValue - 1e-12)
            {
                bestValue = v;
                best = t;
            }
        }
        return best;
    }

    /// <summary>Every way to write <paramref name="total"/> as an ordered sum of <paramref name="parts"/> non-negative integers.</summary>
    private static IEnumerable<int[]> Simplex(int parts, int total)
    {
        if (parts == 1)
        {
            yield return [total];
            yield break;
        }
        for (var first = 0; first <= total; first++)
            foreach (var rest in Simplex(parts - 1, total - first))
                yield return [first, .. rest];
    }

    private static int[][] ToJagged(int[,] counts) =>
        Enumerable.Range(0, counts.GetLength(0)).Select(i => Enumerable.Range(0, counts.GetLength(1)).Select(j => counts[i, j]).ToArray()).ToArray();
}
