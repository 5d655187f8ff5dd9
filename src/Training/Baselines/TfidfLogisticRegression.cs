using System.Text.RegularExpressions;

namespace SweepCluster.Training.Baselines;

/// <summary>
/// The classic text baseline every fine-tuned model must beat: TF-IDF over word unigrams and bigrams
/// (sublinear tf, smoothed idf, L2-normalised rows, terms seen in at least <c>minDf</c> documents)
/// and one-vs-rest L2-regularised logistic regression trained by full-batch gradient descent with
/// Nesterov momentum. Deterministic; no randomness involved.
/// </summary>
public sealed partial class TfidfLogisticRegression
{
    private readonly Dictionary<string, int> _vocabulary = new(StringComparer.Ordinal);
    private double[] _idf = [];
    private double[][] _weights = [];
    private double[] _bias = [];

    public int Classes => _weights.Length;

    public static TfidfLogisticRegression Fit(IReadOnlyList<string> texts, IReadOnlyList<int> labels, int classes,
        double l2 = 1e-4, int iterations = 300, int minDf = 2)
    {
        var model = new TfidfLogisticRegression();
        model.BuildVocabulary(texts, minDf);
        var rows = texts.Select(model.Vectorize).ToList();
        var outputs = classes == 2 ? 1 : classes;
        model._weights = new double[outputs][];
        model._bias = new double[outputs];
        for (var c = 0; c < outputs; c++)
        {
            var target = labels.Select(l => classes == 2 ? (l == 1 ? 1.0 : 0.0) : (l == c ? 1.0 : 0.0)).ToArray();
            (model._weights[c], model._bias[c]) = TrainBinary(rows, target, model._vocabulary.Count, l2, iterations);
        }
        return model;
    }

    /// <summary>Class probabilities per text (binary: [1-p, p]; multi-class: normalised one-vs-rest scores).</summary>
    public double[][] PredictProbabilities(IReadOnlyList<string> texts) => texts.Select(t =>
    {
        var row = Vectorize(t);
        var scores = _weights.Select((w, c) => Sigmoid(Dot(w, row) + _bias[c])).ToArray();
        if (scores.Length == 1) return new[] { 1 - scores[0], scores[0] };
        var sum = scores.Sum();
        return scores.Select(s => s / sum).ToArray();
    }).ToArray();

    private void BuildVocabulary(IReadOnlyList<string> texts, int minDf)
    {
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (var term in Terms(text).Distinct())
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
        foreach (var (term, df) in documentFrequency.Where(t => t.Value >= minDf).OrderBy(t => t.Key, StringComparer.Ordinal))
            _vocabulary[term] = _vocabulary.Count;
        _idf = new double[_vocabulary.Count];
        foreach (var (term, index) in _vocabulary)
            _idf[index] = Math.Log((1.0 + texts.Count) / (1.0 + documentFrequency[term])) + 1;
    }

    /// <summary>Sparse TF-IDF row: (feature index, value), L2-normalised.</summary>
    private (int Index, double Value)[] Vectorize(string text)
    {
        var counts = new Dictionary<int, int>();
        foreach (var term in Terms(text))
            if (_vocabulary.TryGetValue(term, out var i)) counts[i] = counts.GetValueOrDefault(i) + 1;
        var row = counts.Select(kv => (kv.Key, (1 + Math.Log(kv.Value)) * _idf[kv.Key])).ToArray();
        var norm = Math.Sqrt(row.Sum(x => x.Item2 * x.Item2));
        return norm == 0 ? row : row.Select(x => (x.Key, x.Item2 / norm)).ToArray();
    }

    private static IEnumerable<string> Terms(string text)
    {
        var words = Word().Matches(text.ToLowerInvariant()).Select(m => m.Value).ToArray();
        for (var i = 0; i < words.Length; i++)
        {
            yield return words[i];
            if (i + 1 < words.Length) yield return words[i] + " " + words[i + 1];
        }
    }

    [GeneratedRegex(@"\b\w\w+\b")]
    private static partial Regex Word();

    private static (double[] Weights, double Bias) TrainBinary(List<(int Index, double Value)[]> rows, double[] y, int features, double l2, int iterations)
    {
        var w = new double[features];
        var velocity = new double[features];
        double b = 0, vb = 0;
        const double rate = 2.0, momentum = 0.9;
        var gradient = new double[features];
        for (var it = 0; it < iterations; it++)
        {
            Array.Clear(gradient);
            double gb = 0;
            // Gradient at the look-ahead point (Nesterov).
            var lookahead = new double[features];
            for (var j = 0; j < features; j++) lookahead[j] = w[j] + momentum * velocity[j];
            var lb = b + momentum * vb;
            for (var i = 0; i < rows.Count; i++)
            {
                var error = Sigmoid(Dot(lookahead, rows[i]) + lb) - y[i];
                foreach (var (index, value) in rows[i]) gradient[index] += error * value;
                gb += error;
            }
            for (var j = 0; j < features; j++)
            {
                velocity[j] = momentum * velocity[j] - rate * (gradient[j] / rows.Count + l2 * lookahead[j]);
                w[j] += velocity[j];
            }
            vb = momentum * vb - rate * gb / rows.Count;
            b += vb;
        }
        return (w, b);
    }

    private static double Dot(double[] w, (int Index, double Value)[] row)
    {
        double s = 0;
        foreach (var (index, value) in row) s += w[index] * value;
        return s;
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
