using SweepCluster.Training.Data;
namespace SweepCluster.Training.Evaluation;

/// <summary>A K×K confusion matrix: rows are true classes, columns predicted ones.</summary>
public sealed record ConfusionMatrix(int[,] Counts)
{
    public int Classes => Counts.GetLength(0);
    public int Total { get { var n = 0; foreach (var c in Counts) n += c; return n; } }
}

/// <summary>Scores of one label (binary: the positive class; multi-class: one class against the rest).</summary>
public sealed record LabelScores(double Precision, double Recall, double F1, double? RocAuc, int Support);

/// <summary>
/// Every metric a study can name, from predicted probabilities. Binary and multi-class take one
/// probability row per example (softmax); multi-label takes independent per-label probabilities
/// (sigmoid) thresholded at 0.5. F1, precision and recall are the positive class's for binary tasks
/// and macro averages otherwise; ROC-AUC is per label and macro-averaged over labels that have both
/// classes present.
/// </summary>
public sealed record ClassificationReport(
    double Accuracy,
    double Precision,
    double Recall,
    double F1,
    double? RocAuc,
    double Loss,
    IReadOnlyList<LabelScores> PerLabel,
    IReadOnlyList<ConfusionMatrix> Confusion)
{
    /// <summary>The metrics <see cref="Metric"/> names, as study files spell them.</summary>
    public static IReadOnlyList<string> MetricNames { get; } = ["f1", "accuracy", "precision", "recall", "roc_auc", "loss"];

    /// <summary>The named metric (f1 | accuracy | precision | recall | roc_auc | loss).</summary>
    public double Metric(string name) => name switch
    {
        "f1" => F1,
        "accuracy" => Accuracy,
        "precision" => Precision,
        "recall" => Recall,
        "roc_auc" => RocAuc ?? double.NaN,
        "loss" => Loss,
        _ => throw new ArgumentException($"unknown metric '{name}' (expected f1, accuracy, precision, recall, roc_auc or loss)"),
    };
}

public static class ClassificationMetrics
{
    /// <summary>
    /// Single-label: <paramref name="probabilities"/>[i] sums to 1 over classes; <paramref name="labels"/>[i] in 0..K-1.
    /// Binary tasks may set <paramref name="positiveThreshold"/>: class 1 is predicted when its probability reaches it (arg max otherwise).
    /// </summary>
    public static ClassificationReport SingleLabel(IReadOnlyList<double[]> probabilities, IReadOnlyList<int> labels, double? positiveThreshold = null)
    {
        Check(probabilities.Count, labels.Count);
        var k = probabilities[0].Length;
        var matrix = new int[k, k];
        double loss = 0;
        for (var i = 0; i < labels.Count; i++)
        {
            var predicted = positiveThreshold is double t && k == 2 ? (probabilities[i][1] >= t ? 1 : 0) : ArgMax(probabilities[i]);
            matrix[labels[i], predicted]++;
            loss -= Math.Log(Math.Max(probabilities[i][labels[i]], 1e-12));
        }
        var perClass = Enumerable.Range(0, k).Select(c =>
        {
            var (precision, recall, f1, support) = FromMatrix(matrix, c);
            var auc = RocAuc(probabilities.Select(p => p[c]).ToArray(), labels.Select(l => l == c).ToArray());
            return new LabelScores(precision, recall, f1, auc, support);
        }).ToList();
        var correct = Enumerable.Range(0, k).Sum(c => matrix[c, c]);
        var headline = k == 2 ? [perClass[1]] : perClass;
        return new ClassificationReport(
            (double)correct / labels.Count,
            headline.Average(s => s.Precision),
            headline.Average(s => s.Recall),
            headline.Average(s => s.F1),
            k == 2 ? perClass[1].RocAuc : MeanDefined(perClass.Select(s => s.RocAuc)),
            loss / labels.Count,
            perClass,
            [new ConfusionMatrix(matrix)]);
    }

    /// <summary>Multi-label: per-label independent probabilities and 0/1 targets; accuracy is per label, averaged.</summary>
    public static ClassificationReport MultiLabel(IReadOnlyList<double[]> probabilities, IReadOnlyList<int[]> targets, double threshold = 0.5) =>
        MultiLabel(probabilities, targets, Enumerable.Repeat(threshold, probabilities.Count == 0 ? 0 : probabilities[0].Length).ToArray());

    /// <summary>Multi-label with a decision threshold per label.</summary>
    public static ClassificationReport MultiLabel(IReadOnlyList<double[]> probabilities, IReadOnlyList<int[]> targets, IReadOnlyList<double> thresholds)
    {
        Check(probabilities.Count, targets.Count);
        var labels = probabilities[0].Length;
        var perLabel = new List<LabelScores>();
        var matrices = new List<ConfusionMatrix>();
        double accuracy = 0, loss = 0;
        for (var j = 0; j < labels; j++)
        {
            var matrix = new int[2, 2];
            for (var i = 0; i < targets.Count; i++)
            {
                var p = probabilities[i][j];
                matrix[targets[i][j], p >= thresholds[j] ? 1 : 0]++;
                loss -= targets[i][j] == 1 ? Math.Log(Math.Max(p, 1e-12)) : Math.Log(Math.Max(1 - p, 1e-12));
            }
            var (precision, recall, f1, support) = FromMatrix(matrix, 1);
            perLabel.Add(new LabelScores(precision, recall, f1,
                RocAuc(probabilities.Select(p => p[j]).ToArray(), targets.Select(t => t[j] == 1).ToArray()), support));
            matrices.Add(new ConfusionMatrix(matrix));
            accuracy += (double)(matrix[0, 0] + matrix[1, 1]) / targets.Count;
        }
        return new ClassificationReport(accuracy / labels, perLabel.Average(s => s.Precision), perLabel.Average(s => s.Recall),
            perLabel.Average(s => s.F1), MeanDefined(perLabel.Select(s => s.RocAuc)), loss / (targets.Count * labels), perLabel, matrices);
    }

    /// <summary>Area under the ROC curve by the rank-sum (Mann-Whitney U) formula, ties counted half; null without both classes.</summary>
    public static double? RocAuc(double[] scores, bool[] positive)
    {
        var ranks = Ranks.Average(scores);
        long positives = positive.Count(p => p), negatives = positive.Length - positives;
        if (positives == 0 || negatives == 0) return null;
        var rankSum = Enumerable.Range(0, ranks.Length).Where(i => positive[i]).Sum(i => ranks[i]);
        return (rankSum - positives * (positives + 1) / 2.0) / (positives * (double)negatives);
    }

    private static (double Precision, double Recall, double F1, int Support) FromMatrix(int[,] m, int c)
    {
        int tp = m[c, c], predicted = 0, actual = 0;
        for (var i = 0; i < m.GetLength(0); i++)
        {
            predicted += m[i, c];
            actual += m[c, i];
        }
        var precision = predicted == 0 ? 0 : (double)tp / predicted;
        var recall = actual == 0 ? 0 : (double)tp / actual;
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return (precision, recall, f1, actual);
    }

    private static int ArgMax(double[] row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    private static double? MeanDefined(IEnumerable<double?> values)
    {
        var defined = values.Where(v => v is not null).Select(v => v!.Value).ToList();
        return defined.Count == 0 ? null : defined.Average();
    }

    private static void Check(int rows, int labels)
    {
        if (rows == 0) throw new ArgumentException("no predictions to score");
        if (rows != labels) throw new ArgumentException($"{rows} predictions but {labels} labels");
    }
}
