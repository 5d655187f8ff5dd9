using System.Text.Json;
using System.Text.Json.Serialization;
using SweepCluster.Training.Data;
using SweepCluster.Training.Storage;

namespace SweepCluster.Training.Baselines;

/// <summary>
/// A cheap classic text classifier that can join an ensemble beside fine-tuned models: fitted in seconds
/// on a CPU, deterministic, and stored as one JSON file so `sweep predict` can apply it from its folder.
/// </summary>
public interface IClassicTextModel
{
    /// <summary>tfidf_word, tfidf_char or nbsvm (see <see cref="ClassicModels"/>).</summary>
    string Kind { get; }

    /// <summary>Binary, MultiClass or MultiLabel.</summary>
    string Task { get; }

    /// <summary>
    /// Probabilities, shape [texts][classes]: binary [1 − p, p]; multi-class the one-vs-rest scores
    /// normalised to sum to 1 (as scikit-learn's OneVsRestClassifier.predict_proba); multi-label one
    /// independent probability per label.
    /// </summary>
    double[][] PredictProbabilities(IReadOnlyList<string> texts);

    /// <summary>Writes <see cref="ClassicModels.FileName"/> into the folder (created if missing), atomically.</summary>
    void Save(string folder);
}

/// <summary>
/// How the classic models are fitted. <c>L2</c> is the penalty of <see cref="SparseLogisticRegression"/>
/// (scikit-learn's C = 1/(L2·rows)); <c>MinDf</c> drops terms seen in fewer training texts; <c>Alpha</c> is
/// NB-SVM's smoothing of the term counts (Wang &amp; Manning 2012 use 1).
/// </summary>
public sealed record ClassicOptions
{
    public double L2 { get; init; } = 1e-4;
    public int Iterations { get; init; } = 300;
    public int MinDf { get; init; } = 2;
    public double Alpha { get; init; } = 1.0;
}

/// <summary>
/// The classic members, by name:
/// <list type="bullet">
/// <item><c>tfidf_word</c>: TF-IDF over word unigrams and bigrams (sublinear tf, smoothed idf, L2-normalised
/// rows: scikit-learn's TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)) and logistic regression.</item>
/// <item><c>tfidf_char</c>: the same over character 2–5-grams within word boundaries (analyzer='char_wb').</item>
/// <item><c>nbsvm</c>: NB-LR, the logistic-regression form of NB-SVM (Wang &amp; Manning 2012, "Baselines and
/// bigrams", ACL): binarised word 1–2-gram indicators scaled by the class's log-count ratio
/// r = log((p/‖p‖₁)/(q/‖q‖₁)), p = α + Σ over the class's texts, q = α + Σ over the others, then logistic
/// regression; without the paper's interpolation with the mean weight.</item>
/// </list>
/// Single-label tasks with more than two classes are fitted one-vs-rest; multi-label tasks one binary model
/// per label, sharing the vocabulary.
/// </summary>
public static class ClassicModels
{
    public const string TfidfWord = "tfidf_word";
    public const string TfidfChar = "tfidf_char";
    public const string NbSvm = "nbsvm";
    public const string FileName = "classic-model.json";

    /// <summary>Every kind, in the order the documentation lists them.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [TfidfWord, TfidfChar, NbSvm];

    /// <summary>A single-label model: <paramref name="labels"/> are class ids in 0…classes−1.</summary>
    /// <exception cref="ArgumentException">Unknown kind, fewer than two classes, texts and labels of different counts, or a label out of range.</exception>
    public static IClassicTextModel Fit(string kind, IReadOnlyList<string> texts, IReadOnlyList<int> labels, int classes, ClassicOptions? options = null)
    {
        if (classes < 2) throw new ArgumentException($"a classifier needs at least 2 classes, got {classes}", nameof(classes));
        if (texts.Count != labels.Count) throw new ArgumentException($"{texts.Count} texts but {labels.Count} labels", nameof(labels));
        foreach (var label in labels)
            if (label < 0 || label >= classes) throw new ArgumentException($"label {label} is outside 0…{classes - 1}", nameof(labels));
        var targets = classes == 2
            ? [labels.Select(l => l == 1 ? 1.0 : 0.0).ToArray()]
            : Enumerable.Range(0, classes).Select(c => labels.Select(l => l == c ? 1.0 : 0.0).ToArray()).ToArray();
        return ClassicTextModel.Fit(kind, classes == 2 ? "Binary" : "MultiClass", texts, targets, options ?? new ClassicOptions());
    }

    /// <summary>A multi-label model: <paramref name="labels"/>[text][label] is 0 or 1; one binary model per label.</summary>
    /// <exception cref="ArgumentException">Unknown kind, counts that differ, or rows of different widths.</exception>
    public static IClassicTextModel FitMultiLabel(string kind, IReadOnlyList<string> texts, IReadOnlyList<int[]> labels, ClassicOptions? options = null)
    {
        if (texts.Count != labels.Count) throw new ArgumentException($"{texts.Count} texts but {labels.Count} label rows", nameof(labels));
        if (labels.Count == 0) throw new ArgumentException("no rows to fit", nameof(labels));
        var width = labels[0].Length;
        if (labels.Any(l => l.Length != width)) throw new ArgumentException("label rows of different widths", nameof(labels));
        var targets = Enumerable.Range(0, width).Select(j => labels.Select(l => l[j] == 1 ? 1.0 : 0.0).ToArray()).ToArray();
        return ClassicTextModel.Fit(kind, "MultiLabel", texts, targets, options ?? new ClassicOptions());
    }

    /// <summary>A model of this kind fitted on these rows of <paramref name="dataset"/>, single- or multi-label as the dataset is.</summary>
    /// <exception cref="ArgumentException">Unknown kind, or labels the fit refuses.</exception>
    public static IClassicTextModel Fit(string kind, LabelledDataset dataset, IReadOnlyList<int> rows, ClassicOptions? options = null)
    {
        var texts = rows.Select(i => dataset.Texts[i]).ToList();
        return dataset.Kind == TaskKind.MultiLabel
            ? FitMultiLabel(kind, texts, rows.Select(i => dataset.Labels[i]).ToList(), options)
            : Fit(kind, texts, rows.Select(i => dataset.Classes[i]).ToList(), dataset.ClassNames.Count, options);
    }

    /// <summary>
    /// Out-of-fold probabilities on exactly these folds, by row index ([classes] each): fitted on each fold's
    /// training rows, predicting its validation rows.
    /// </summary>
    public static Dictionary<int, double[]> OutOfFold(string kind, LabelledDataset dataset, IEnumerable<Fold> folds, ClassicOptions? options = null)
    {
        var outOfFold = new Dictionary<int, double[]>();
        foreach (var fold in folds)
        {
            var p = Fit(kind, dataset, fold.Train, options).PredictProbabilities(fold.Validation.Select(i => dataset.Texts[i]).ToList());
            for (var i = 0; i < fold.Validation.Length; i++) outOfFold[fold.Validation[i]] = p[i];
        }
        return outOfFold;
    }

    /// <summary>Reads a model written by <see cref="IClassicTextModel.Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The folder has no <see cref="FileName"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a classic model.</exception>
    public static IClassicTextModel Load(string folder) => ClassicTextModel.Load(folder);

    /// <summary>Whether the folder holds a saved classic model.</summary>
    public static bool IsClassicModel(string folder) => File.Exists(Path.Combine(folder, FileName));
}

/// <summary>A vocabulary (with idf weights for TF-IDF kinds) and one logistic regression per output.</summary>
internal sealed class ClassicTextModel : IClassicTextModel
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public required string Kind { get; init; }
    public required string Task { get; init; }
    /// <summary>Terms in feature-index order.</summary>
    public required string[] Vocabulary { get; init; }
    /// <summary>TF-IDF kinds: the smoothed idf of each term; null for nbsvm.</summary>
    public double[]? Idf { get; init; }
    public required OutputModel[] Outputs { get; init; }

    private Dictionary<string, int>? _index;
    private Dictionary<string, int> Index => _index ??= Vocabulary.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.Ordinal);

    internal static ClassicTextModel Fit(string kind, string task, IReadOnlyList<string> texts, double[][] targets, ClassicOptions options)
    {
        if (!ClassicModels.Kinds.Contains(kind)) throw new ArgumentException($"unknown classic model '{kind}' (expected one of {string.Join(", ", ClassicModels.Kinds)})", nameof(kind));
        if (texts.Count == 0) throw new ArgumentException("no texts to fit", nameof(texts));
        var terms = texts.Select(t => Terms(kind, t).ToList()).ToList();
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var document in terms)
            foreach (var term in document.Distinct(StringComparer.Ordinal))
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
        var vocabulary = documentFrequency.Where(t => t.Value >= options.MinDf).Select(t => t.Key).Order(StringComparer.Ordinal).ToArray();
        // Smoothed idf as scikit-learn's TfidfTransformer(smooth_idf=True): ln((1 + n)/(1 + df)) + 1.
        var idf = kind == ClassicModels.NbSvm ? null : vocabulary.Select(t => Math.Log((1.0 + texts.Count) / (1.0 + documentFrequency[t])) + 1).ToArray();
        var model = new ClassicTextModel { Kind = kind, Task = task, Vocabulary = vocabulary, Idf = idf, Outputs = [] };
        var rows = terms.Select(model.Vectorize).ToArray();
        var outputs = new OutputModel[targets.Length];
        // Outputs are independent: fitting them in parallel changes no sum's order.
        Parallel.For(0, targets.Length, c =>
        {
            var ratio = kind == ClassicModels.NbSvm ? LogCountRatio(rows, targets[c], vocabulary.Length, options.Alpha) : null;
            var scaled = ratio is null ? rows : rows.Select(r => Scale(r, ratio)).ToArray();
            var (weights, bias) = SparseLogisticRegression.Fit(scaled, targets[c], vocabulary.Length, options.L2, options.Iterations);
            outputs[c] = new OutputModel { Ratio = ratio, Weights = weights, Bias = bias };
        });
        return new ClassicTextModel { Kind = kind, Task = task, Vocabulary = vocabulary, Idf = idf, Outputs = outputs };
    }

    public double[][] PredictProbabilities(IReadOnlyList<string> texts) => texts.Select(text =>
    {
        var row = Vectorize(Terms(Kind, text).ToList());
        var scores = Outputs.Select(o => SparseLogisticRegression.Sigmoid(SparseLogisticRegression.Dot(o.Weights, o.Ratio is null ? row : Scale(row, o.Ratio)) + o.Bias)).ToArray();
        if (Task == "MultiLabel") return scores;
        if (scores.Length == 1) return [1 - scores[0], scores[0]];
        var sum = scores.Sum();
        return sum > 0 ? scores.Select(s => s / sum).ToArray() : scores.Select(_ => 1.0 / scores.Length).ToArray();
    }).ToArray();

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, ClassicModels.FileName), JsonSerializer.Serialize(this, Json));
    }

    internal static ClassicTextModel Load(string folder)
    {
        var path = Path.Combine(folder, ClassicModels.FileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: not a classic model folder (no {ClassicModels.FileName})", path);
        ClassicTextModel? model;
        try
        {
            model = JsonSerializer.Deserialize<ClassicTextModel>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a classic model ({e.Message})", e);
        }
        if (model is null || !ClassicModels.Kinds.Contains(model.Kind) || model.Outputs.Length == 0 || model.Outputs.Any(o => o.Weights.Length != model.Vocabulary.Length))
            throw new InvalidDataException($"{path}: not a classic model (unknown kind, no outputs, or weights that do not match the vocabulary)");
        return model;
    }

    private static IEnumerable<string> Terms(string kind, string text) =>
        kind == ClassicModels.TfidfChar ? TextFeatures.CharWbNgrams(text, 2, 5) : TextFeatures.WordNgrams(text);

    /// <summary>TF-IDF kinds: sublinear tf (1 + ln count) × idf, L2-normalised; nbsvm: 1 for each term present.</summary>
    private (int Index, double Value)[] Vectorize(List<string> terms)
    {
        var counts = new SortedDictionary<int, int>();
        foreach (var term in terms)
            if (Index.TryGetValue(term, out var i)) counts[i] = counts.GetValueOrDefault(i) + 1;
        if (Idf is null) return counts.Select(kv => (kv.Key, 1.0)).ToArray();
        var row = counts.Select(kv => (kv.Key, (1 + Math.Log(kv.Value)) * Idf[kv.Key])).ToArray();
        var norm = Math.Sqrt(row.Sum(x => x.Item2 * x.Item2));
        return norm == 0 ? row : row.Select(x => (x.Key, x.Item2 / norm)).ToArray();
    }

    private static double[] LogCountRatio((int Index, double Value)[][] rows, double[] y, int features, double alpha)
    {
        var p = Enumerable.Repeat(alpha, features).ToArray();
        var q = Enumerable.Repeat(alpha, features).ToArray();
        for (var i = 0; i < rows.Length; i++)
            foreach (var (index, value) in rows[i]) (y[i] == 1 ? p : q)[index] += value;
        var pSum = p.Sum();
        var qSum = q.Sum();
        return p.Select((v, j) => Math.Log(v / pSum / (q[j] / qSum))).ToArray();
    }

    private static (int Index, double Value)[] Scale((int Index, double Value)[] row, double[] ratio) =>
        row.Select(x => (x.Index, x.Value * ratio[x.Index])).ToArray();
}

/// <summary>One output's logistic regression, and (nbsvm) the log-count ratio its features are scaled by.</summary>
internal sealed record OutputModel
{
    public double[]? Ratio { get; init; }
    public required double[] Weights { get; init; }
    public required double Bias { get; init; }
}
