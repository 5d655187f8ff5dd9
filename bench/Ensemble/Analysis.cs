using System.Globalization;
using System.Text;
using SweepCluster.Training.Baselines;
using SweepCluster.Training.Data;
using SweepCluster.Training.Ensembles;

namespace SweepCluster.Bench.Ensemble;

/// <summary>
/// Scores every ensemble variant on every split written by `train`, then the paired differences that decide the default:
/// each variant against its best member and against the TF-IDF baseline, fold models against the final retrain, with
/// classic members against without. Weights (minimum out-of-fold log loss) and thresholds (best out-of-fold accuracy) come
/// from out-of-fold predictions only; held-out rows only score. Uncertainty: a paired bootstrap over each split's held-out
/// rows (1,000 resamples, seed 1), combined over splits as the standard error of the mean difference.
/// </summary>
public static class Analysis
{
    private const int Resamples = 1000;

    public static void Run(string outDir, IReadOnlyList<string> classicKinds)
    {
        var report = new StringBuilder();
        foreach (var datasetDir in Directory.EnumerateDirectories(outDir).Order())
        {
            var name = Path.GetFileName(datasetDir);
            var (dataset, _) = BenchData.Load(name);
            var seeds = Directory.EnumerateDirectories(datasetDir, "seed-*").Order()
                // A split counts once every encoder has finished it (a run still under way leaves it out).
                .Select(d => (Dir: d, Done: Directory.EnumerateFiles(d, "*.heldout-final.csv").Count())).ToList() is var found
                ? found.Where(f => f.Done > 0 && f.Done == found.Max(x => x.Done)).Select(f => f.Dir).ToList() : [];
            var perSeed = new List<Dictionary<string, Scored>>();
            foreach (var seedDir in seeds) perSeed.Add(Split(dataset, seedDir, classicKinds));
            if (perSeed.Count == 0) continue;
            var multiClass = dataset.ClassNames.Count > 2;
            report.AppendLine($"## {name}: {perSeed.Count} held-out splits ({string.Join(", ", seeds.Select(Path.GetFileName))}), {perSeed[0].First().Value.Rows.Length} held-out rows each; ROC-AUC {(multiClass ? "macro one-vs-rest" : "of the positive class")}");
            report.AppendLine();
            report.AppendLine("| model | accuracy (mean over splits) | ROC-AUC |");
            report.AppendLine("| --- | --- | --- |");
            foreach (var key in perSeed[0].Keys)
                report.AppendLine($"| {key} | {perSeed.Average(s => s[key].Accuracy):0.0000} | {perSeed.Average(s => s[key].RocAuc):0.0000} |");
            report.AppendLine();
            report.AppendLine("Paired differences (mean over splits ± standard error from the per-split bootstrap; * = beyond 2 SE):");
            report.AppendLine();
            report.AppendLine("| comparison | Δ accuracy | Δ ROC-AUC |");
            report.AppendLine("| --- | --- | --- |");
            void Compare(string label, Func<Dictionary<string, Scored>, string> a, Func<Dictionary<string, Scored>, string> b)
            {
                var acc = Difference(perSeed, a, b, "accuracy", dataset);
                var auc = Difference(perSeed, a, b, "roc_auc", dataset);
                report.AppendLine($"| {label} | {Format(acc)} | {Format(auc)} |");
            }
            var encoders = perSeed[0].Keys.Where(k => k.StartsWith("final: ", StringComparison.Ordinal)).Select(k => k["final: ".Length..]).ToList();
            var classic = perSeed[0].Keys.Where(k => k.StartsWith("classic: ", StringComparison.Ordinal)).ToList();
            foreach (var variant in perSeed[0].Keys.Where(k => k.StartsWith("ensemble", StringComparison.Ordinal)))
            {
                var useFolds = variant.Contains("fold models", StringComparison.Ordinal);
                var withClassic = variant.Contains("+ classic", StringComparison.Ordinal);
                var members = encoders.Select(e => (useFolds ? "folds: " : "final: ") + e).Concat(withClassic ? classic : []).ToList();
                // The best member is chosen on each split's held-out rows: the hardest member to beat, by hindsight.
                Compare($"{variant} − its best member (per split, by held-out accuracy)", s => variant, s => members.MaxBy(m => s[m].Accuracy)!);
                Compare($"{variant} − tf-idf + LR baseline", s => variant, s => "classic: tfidf_word");
            }
            Compare("ensemble of fold models − ensemble of final retrains (encoders only)", s => "ensemble: fold models", s => "ensemble: final retrain");
            Compare("ensemble of fold models + classic − final retrains + classic", s => "ensemble: fold models + classic", s => "ensemble: final retrain + classic");
            Compare("fold models: + classic − without", s => "ensemble: fold models + classic", s => "ensemble: fold models");
            Compare("final retrain: + classic − without", s => "ensemble: final retrain + classic", s => "ensemble: final retrain");
            foreach (var e in encoders) Compare($"{e}: fold models averaged − final retrain", s => "folds: " + e, s => "final: " + e);
            report.AppendLine();
            report.AppendLine("Weights fitted on out-of-fold predictions, per split:");
            foreach (var (s, i) in perSeed.Select((s, i) => (s, i)))
                report.AppendLine($"- {Path.GetFileName(seeds[i])}: " + string.Join("; ", s.Where(kv => kv.Key.StartsWith("ensemble", StringComparison.Ordinal)).Select(kv => $"{kv.Key}: {kv.Value.Note}")));
            report.AppendLine();
        }
        Console.Write(report.ToString());
        File.WriteAllText(Path.Combine(outDir, "analysis.md"), report.ToString());
    }

    private sealed record Scored(double[][] Probabilities, int[] Rows, IReadOnlyList<double> Thresholds, double Accuracy, double RocAuc, string Note);

    private static Dictionary<string, Scored> Split(LabelledDataset dataset, string seedDir, IReadOnlyList<string> classicKinds)
    {
        var lines = File.ReadAllLines(Path.Combine(seedDir, "splits.txt")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var heldOut = lines[0].Skip(1).Select(int.Parse).ToArray();
        var validations = lines.Skip(1).Select(l => l.Skip(1).Select(int.Parse).ToArray()).ToList();
        var nonHeld = validations.SelectMany(v => v).Order().ToArray();
        var oofRows = nonHeld;
        var targets = dataset.Targets;
        var encoders = Directory.EnumerateFiles(seedDir, "*.oof.csv").Select(f => Path.GetFileName(f)[..^".oof.csv".Length]).Order().ToList();

        var oof = new Dictionary<string, double[][]>();
        var heldFinal = new Dictionary<string, double[][]>();
        var heldFolds = new Dictionary<string, double[][]>();
        foreach (var e in encoders)
        {
            var o = BenchData.Read(Path.Combine(seedDir, $"{e}.oof.csv"));
            oof[e] = oofRows.Select(r => o[r]).ToArray();
            var f = BenchData.Read(Path.Combine(seedDir, $"{e}.heldout-final.csv"));
            heldFinal[e] = heldOut.Select(r => f[r]).ToArray();
            var k = BenchData.Read(Path.Combine(seedDir, $"{e}.heldout-folds.csv"));
            heldFolds[e] = heldOut.Select(r => k[r]).ToArray();
        }
        // Classic members: out-of-fold on exactly these folds, then one fit on every non-held-out row.
        var classicOof = new Dictionary<string, double[][]>();
        var classicHeld = new Dictionary<string, double[][]>();
        var folds = validations.Select(v => new Fold(nonHeld.Except(v).ToArray(), v)).ToList();
        foreach (var kind in classicKinds)
        {
            var byRow = ClassicModels.OutOfFold(kind, dataset, folds);
            classicOof[kind] = oofRows.Select(r => byRow[r]).ToArray();
            classicHeld[kind] = ClassicModels.Fit(kind, dataset, nonHeld).PredictProbabilities(heldOut.Select(r => dataset.Texts[r]).ToList());
        }

        var result = new Dictionary<string, Scored>();
        Scored Member(double[][] oofP, double[][] heldP, string note)
        {
            var thresholds = Ensembler.ChooseThresholds(oofP, targets, oofRows, "accuracy", higherIsBetter: true);
            var r = Ensembler.Score(heldP, targets, heldOut, thresholds);
            return new Scored(heldP, heldOut, thresholds, r.Accuracy, r.RocAuc ?? double.NaN, note);
        }
        foreach (var e in encoders)
        {
            result["final: " + e] = Member(oof[e], heldFinal[e], "");
            result["folds: " + e] = Member(oof[e], heldFolds[e], "");
        }
        foreach (var kind in classicKinds) result["classic: " + kind] = Member(classicOof[kind], classicHeld[kind], "");

        void Ensemble(string name, Dictionary<string, double[][]> held, IEnumerable<string> classic)
        {
            var members = oof.Keys.Concat(classic).ToList();
            var memberOof = members.ToDictionary(m => m, m => oof.TryGetValue(m, out var p) ? p : classicOof[m]);
            var memberHeld = members.ToDictionary(m => m, m => held.TryGetValue(m, out var p) ? p : classicHeld[m]);
            var weights = Ensembler.FitWeights(memberOof, targets, oofRows, multiLabel: false);
            var rule = new EnsembleRule("soft", dataset.Kind.ToString(), weights, []);
            var thresholds = Ensembler.ChooseThresholds(Ensembler.Combine(rule, memberOof), targets, oofRows, "accuracy", higherIsBetter: true);
            var combined = Ensembler.Combine(rule with { Thresholds = thresholds }, memberHeld);
            var r = Ensembler.Score(combined, targets, heldOut, thresholds);
            var note = string.Join(" ", weights.OrderBy(w => w.Key).Select(w => $"{w.Key} {w.Value:0.00}")) + (thresholds.Count == 1 ? $", threshold {thresholds[0]:0.00}" : "");
            result[name] = new Scored(combined, heldOut, thresholds, r.Accuracy, r.RocAuc ?? double.NaN, note);
        }
        Ensemble("ensemble: final retrain", heldFinal, []);
        Ensemble("ensemble: fold models", heldFolds, []);
        Ensemble("ensemble: final retrain + classic", heldFinal, classicKinds);
        Ensemble("ensemble: fold models + classic", heldFolds, classicKinds);
        return result;
    }

    /// <summary>Mean over splits of (a − b), and its standard error: each split's paired bootstrap variance, combined as for a mean of independent estimates.</summary>
    private static (double Mean, double Se) Difference(List<Dictionary<string, Scored>> perSeed, Func<Dictionary<string, Scored>, string> a, Func<Dictionary<string, Scored>, string> b,
        string metric, LabelledDataset dataset)
    {
        var means = new List<double>();
        var variances = new List<double>();
        foreach (var split in perSeed)
        {
            var (x, y) = (split[a(split)], split[b(split)]);
            Func<int[], double> ScoreOf(Scored s) => draw => Ensembler.Score(draw.Select(i => s.Probabilities[i]).ToArray(), dataset.Targets, draw.Select(i => s.Rows[i]).ToArray(), s.Thresholds).Metric(metric);
            var difference = Ensembler.PairedBootstrap(metric, b(split), x.Rows.Length, ScoreOf(x), ScoreOf(y), Resamples, seed: 1);
            means.Add(difference.Observed);
            variances.Add(difference.StandardError * difference.StandardError);
        }
        return (means.Average(), Math.Sqrt(variances.Sum()) / perSeed.Count);
    }

    private static string Format((double Mean, double Se) d) =>
        double.IsNaN(d.Mean) ? "n/a" : $"{d.Mean:+0.0000;-0.0000} ± {d.Se:0.0000}{(Math.Abs(d.Mean) > 2 * d.Se ? " *" : "")}";
}
