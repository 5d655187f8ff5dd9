using System.Globalization;
using SweepCluster.Training.Evaluation;
using SweepCluster.Training.FineTuning;

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
    /// over the simplex (steps of 0.05 for up to three members, 0.1 beyond). Log loss is used rather than
    /// the study's metric because it is smooth and does not depend on the threshold chosen afterwards.
    /// </summary>
    public static IReadOnlyDictionary<string, double> FitWeights(IReadOnlyDictionary<string, double[][]> outOfFold, TrainingTargets targets, IReadOnlyList<int> rows, bool multiLabel)
    {
        var names = outOfFold.Keys.Order(StringComparer.Ordinal).ToList();
        if (names.Count == 1) return new Dictionary<string, double> { [names[0]] = 1 };
        var steps = names.Count <= 3 ? 20 : 10;
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

    /// <summary>Whether the ensemble beats its best member on the held-out rows, said plainly.</summary>
    public static string Verdict(ScoreRow ensemble, IReadOnlyList<ScoreRow> members, string metric, bool higherIsBetter)
    {
        if (members.Count == 0) return "no members were scored";
        var best = higherIsBetter ? members.MaxBy(m => m.Metrics.GetValueOrDefault(metric, double.NaN))! : members.MinBy(m => m.Metrics.GetValueOrDefault(metric, double.NaN))!;
        var e = ensemble.Metrics.GetValueOrDefault(metric, double.NaN);
        var b = best.Metrics.GetValueOrDefault(metric, double.NaN);
        var margin = higherIsBetter ? e - b : b - e;
        string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
        return margin > 0
            ? $"The ensemble beats its best member ({best.Name}) on the held-out rows: {metric} {F(e)} against {F(b)} (+{F(margin)})."
            : $"The ensemble does NOT beat its best member ({best.Name}) on the held-out rows: {metric} {F(e)} against {F(b)}; use {best.Name} alone, or more diverse members.";
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
