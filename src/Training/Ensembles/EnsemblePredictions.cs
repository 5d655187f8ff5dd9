using System.Globalization;
using System.Text;
using SweepCluster.Training.Data;
using SweepCluster.Training.Storage;
using static TorchSharp.torch;

namespace SweepCluster.Training.Ensembles;

/// <summary>Every member's probabilities for a set of texts, the ensemble's, and its decisions.</summary>
public sealed record PredictionSet(IReadOnlyDictionary<string, double[][]> Members, double[][] Ensemble, int[][] Decisions);

/// <summary>
/// Predictions of a finished study from its artifacts alone (ensemble.json and the members' trained
/// model folders): what the ensemble step writes for the study's test file and what `sweep predict` writes
/// for any file.
/// </summary>
public static class EnsemblePredictions
{
    public static PredictionSet Predict(string studyFolder, EnsembleReport report, IReadOnlyList<string> texts, Device? device = null, Action<string>? progress = null)
    {
        var members = new Dictionary<string, double[][]>(StringComparer.Ordinal);
        foreach (var (name, folders) in report.MemberModels)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            members[name] = PredictMember(folders.Select(f => Path.Combine(studyFolder, f)).ToList(), texts, device);
            progress?.Invoke($"{name}: {texts.Count} rows in {clock.Elapsed.TotalSeconds:0.0}s" + (folders.Count > 1 ? $" (mean of {folders.Count} models)" : ""));
        }
        var rule = report.Rule;
        var ensemble = Ensembler.Combine(rule, members);
        return new PredictionSet(members, ensemble, ensemble.Select(p => Ensembler.Decide(p, rule)).ToArray());
    }

    /// <summary>
    /// One member's probabilities, shape [texts][classes]: a classic model's, a trained model's, or the
    /// mean over several trained models (a best trial's fold models, as its out-of-fold rows were scored).
    /// </summary>
    /// <exception cref="FileNotFoundException">A folder holds neither kind of model.</exception>
    public static double[][] PredictMember(IReadOnlyList<string> folders, IReadOnlyList<string> texts, Device? device = null)
    {
        if (folders.Count == 0) throw new ArgumentException("a member needs at least one model folder", nameof(folders));
        double[][]? sum = null;
        foreach (var folder in folders)
        {
            double[][] p;
            if (SweepCluster.Training.Baselines.ClassicModels.IsClassicModel(folder))
            {
                p = SweepCluster.Training.Baselines.ClassicModels.Load(folder).PredictProbabilities(texts);
            }
            else
            {
                using var model = TrainedModel.Load(folder, device);
                p = model.Predict(texts);
            }
            if (sum is null) sum = p;
            else for (var i = 0; i < p.Length; i++) for (var j = 0; j < p[i].Length; j++) sum[i][j] += p[i][j];
        }
        if (folders.Count > 1) foreach (var row in sum!) for (var j = 0; j < row.Length; j++) row[j] /= folders.Count;
        return sum!;
    }

    /// <summary>
    /// The submission: id and, for single-label tasks, the label column with the training file's own class
    /// names (e.g. EXTREMIST); for multi-label tasks one probability column per label (as Jigsaw scores them).
    /// </summary>
    public static void WriteSubmission(string path, EnsembleReport report, IReadOnlyList<string> ids, PredictionSet predictions, string? idColumn = null)
    {
        var multiLabel = report.Task == "MultiLabel";
        var header = new List<string> { idColumn ?? report.IdColumn ?? "id" };
        header.AddRange(multiLabel ? report.ClassNames : [report.LabelColumns[0]]);
        var rows = Enumerable.Range(0, ids.Count).Select(i => (IReadOnlyList<string>)[
            ids[i],
            .. multiLabel ? predictions.Ensemble[i].Select(Number) : [report.ClassNames[Array.IndexOf(predictions.Decisions[i], 1)]],
        ]);
        DelimitedFile.Write(path, header, rows);
    }

    /// <summary>Per-model probabilities: the ensemble's then each member's, one column per class or label.</summary>
    public static void WriteProbabilities(string path, EnsembleReport report, IReadOnlyList<string> ids, PredictionSet predictions, string? idColumn = null)
    {
        var sources = new List<(string Name, double[][] Values)> { ("ensemble", predictions.Ensemble) };
        sources.AddRange(predictions.Members.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value)));
        var header = new List<string> { idColumn ?? report.IdColumn ?? "id" };
        foreach (var (name, _) in sources) header.AddRange(report.ClassNames.Select(c => $"{name}:p_{c}"));
        var rows = Enumerable.Range(0, ids.Count).Select(i => (IReadOnlyList<string>)[ids[i], .. sources.SelectMany(s => s.Values[i].Select(Number))]);
        DelimitedFile.Write(path, header, rows);
    }

    private static string Number(double p) => p.ToString("0.######", CultureInfo.InvariantCulture);

}
