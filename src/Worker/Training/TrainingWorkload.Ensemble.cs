using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Baselines;
using SweepCluster.Training.Data;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Storage;
using SweepCluster.Worker.Workloads;

namespace SweepCluster.Worker.Training;

// The ensemble step, after every final retrain: weights and thresholds are fitted on the out-of-fold
// probabilities of each backbone's best trial (never on held-out rows); then the ensemble, a hard vote,
// each member and a TF-IDF + logistic-regression baseline are scored on the held-out rows; and when the
// study names a test file, the ensemble predicts it into a submission.
public sealed partial class TrainingWorkload
{
    private Task<TrialResult> RunEnsembleAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(BuildEnsemble(assignment.StudyId, spec, cancellationToken));
        }
        catch (Exception e) when (IsPermanent(e))
        {
            return Task.FromResult<TrialResult>(new TrialResult.Failed(e.Message));
        }
    }

    private TrialResult BuildEnsemble(string studyId, StudySpec spec, CancellationToken cancellationToken)
    {
        var root = _options.ArtifactsRoot;
        var (dataset, splits) = PreparedData.LoadSplits(spec);
        var targets = dataset.Targets;
        var multiLabel = dataset.Kind == TaskKind.MultiLabel;
        var higherIsBetter = spec.Objective.Direction == ObjectiveDirection.Maximize;
        var metric = spec.Objective.Metric;

        var members = spec.Backbones.Where(b => File.Exists(Path.Combine(TrialArtifacts.FinalModel(root, studyId, b.Name), TrainedModel.InfoFile))).ToList();
        if (members.Count == 0) return new TrialResult.Failed($"no final model under {Path.Combine(root, studyId)} (is --artifacts shared by every worker?)");
        var outOfFold = new Dictionary<string, Dictionary<int, double[]>>(StringComparer.Ordinal);
        var heldOutByMember = new Dictionary<string, Dictionary<int, double[]>>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            var info = TrainedModel.ReadInfo(TrialArtifacts.FinalModel(root, studyId, member.Name));
            outOfFold[member.Name] = TrialArtifacts.ReadProbabilities(Path.Combine(TrialArtifacts.Folder(root, studyId, member.Name, info.SourceTrial), "oof.csv"));
            heldOutByMember[member.Name] = TrialArtifacts.ReadProbabilities(TrialArtifacts.FinalHeldOut(root, studyId, member.Name));
        }
        var oofRows = outOfFold.Values.Select(d => (IEnumerable<int>)d.Keys).Aggregate((a, b) => a.Intersect(b)).Order().ToArray();
        var heldRows = splits.HeldOut.Order().ToArray();
        var missing = heldOutByMember.Where(m => heldRows.Any(r => !m.Value.ContainsKey(r))).Select(m => m.Key).ToList();
        if (missing.Count > 0) return new TrialResult.Failed($"held-out probabilities of {string.Join(", ", missing)} do not cover the study's held-out rows (the data changed since training?)");
        Dictionary<string, double[][]> On(Dictionary<string, Dictionary<int, double[]>> source, int[] rows) =>
            source.ToDictionary(m => m.Key, m => rows.Select(r => m.Value[r]).ToArray(), StringComparer.Ordinal);
        var oof = On(outOfFold, oofRows);
        var held = On(heldOutByMember, heldRows);
        cancellationToken.ThrowIfCancellationRequested();

        var method = spec.Final.Ensemble switch { EnsembleKind.Hard => "hard", EnsembleKind.None => "none", _ => "soft" };
        IReadOnlyDictionary<string, double> weights;
        string weightsMethod;
        if (method == "none")
        {
            // No vote: the member whose out-of-fold predictions score best stands alone.
            var best = oof.Keys.Select(name => (name, Value: Ensembler.Score(oof[name], targets, oofRows,
                    Ensembler.ChooseThresholds(oof[name], targets, oofRows, metric, higherIsBetter)).Metric(metric)))
                .OrderBy(m => higherIsBetter ? -m.Value : m.Value).First();
            weights = new Dictionary<string, double> { [best.name] = 1.0 };
            weightsMethod = $"no vote: {best.name}, the member with the best out-of-fold {metric} ({best.Value:0.0000}), alone";
        }
        else if (spec.Final.FitWeights && members.Count > 1)
        {
            weights = Ensembler.FitWeights(oof, targets, oofRows, multiLabel);
            weightsMethod = $"fitted on the out-of-fold predictions of each backbone's best trial ({oofRows.Length} rows): the non-negative weights summing to 1 that minimise the soft vote's log loss, over a grid of the simplex";
        }
        else
        {
            weights = Ensembler.EqualWeights(oof.Keys);
            weightsMethod = "equal weights";
        }
        var task = dataset.Kind.ToString();
        var unthresholded = new EnsembleRule(method, task, weights, multiLabel ? Enumerable.Repeat(0.5, dataset.ClassNames.Count).ToArray() : []);
        var thresholds = Ensembler.ChooseThresholds(Ensembler.Combine(unthresholded with { Method = method == "hard" ? "soft" : method }, oof), targets, oofRows, metric, higherIsBetter);
        var rule = unthresholded with { Thresholds = thresholds };

        ScoreRow Scored(string name, string kind, double[][] probabilities, IReadOnlyList<double> t) =>
            Ensembler.Row(name, kind, Ensembler.Score(probabilities, targets, heldRows, t), dataset.ClassNames, multiLabel);
        var ensembleRow = Scored($"ensemble ({method} vote of {members.Count})", "ensemble", Ensembler.Combine(rule, held), thresholds);
        var hardRule = new EnsembleRule("hard", task, Ensembler.EqualWeights(held.Keys), thresholds);
        var hardRow = Scored($"hard vote of {members.Count}", "hard-vote", Ensembler.Combine(hardRule, held), thresholds);
        var memberRows = members.Select(m =>
        {
            var own = Ensembler.ChooseThresholds(oof[m.Name], targets, oofRows, metric, higherIsBetter);
            return Scored(m.Name, "member", held[m.Name], own);
        }).OrderBy(r => higherIsBetter ? -r.Metrics.GetValueOrDefault(metric) : r.Metrics.GetValueOrDefault(metric)).ToList();
        var baselineRow = Scored("tf-idf + logistic regression", "baseline", Baseline(dataset, splits, heldRows), multiLabel ? Enumerable.Repeat(0.5, dataset.ClassNames.Count).ToArray() : []);

        var report = new EnsembleReport
        {
            StudyId = studyId, Metric = metric, HigherIsBetter = higherIsBetter, Task = task, ClassNames = dataset.ClassNames,
            Method = method, WeightsMethod = weightsMethod, Weights = weights, Thresholds = thresholds,
            HeldOutRows = heldRows.Length, OutOfFoldRows = oofRows.Length,
            Rows = [ensembleRow, hardRow, .. memberRows, baselineRow],
            Verdict = Ensembler.Verdict(ensembleRow, memberRows, metric, higherIsBetter),
            MemberModels = members.ToDictionary(m => m.Name, m => Path.GetRelativePath(Path.Combine(root, studyId), TrialArtifacts.FinalModel(root, studyId, m.Name))),
            TextColumn = spec.Data.TextColumn, IdColumn = spec.Data.IdColumn, LabelColumns = spec.Data.LabelColumns,
        };
        var folder = TrialArtifacts.Ensemble(root, studyId);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "ensemble.json"), report.ToJson());
        _logger.LogInformation("{Study} ensemble: {Verdict}\n{Table}", studyId, report.Verdict,
            string.Join("\n", report.Rows.Select(r => $"  {r.Name,-40} {metric} {r.Metrics.GetValueOrDefault(metric):0.0000}")));

        if (spec.Data.Test is { } testFile)
        {
            var test = UnlabelledTexts.Load(testFile, spec.Data.TextColumn, spec.Data.IdColumn, spec.Data.Delimiter);
            var predictions = EnsemblePredictions.Predict(Path.Combine(root, studyId), report, test.Texts, Device, line => _logger.LogInformation("{Study} test predictions: {Line}", studyId, line));
            EnsemblePredictions.WriteSubmission(Path.Combine(folder, "submission.csv"), report, test.Ids, predictions);
            EnsemblePredictions.WriteProbabilities(Path.Combine(folder, "probabilities.csv"), report, test.Ids, predictions);
            _logger.LogInformation("{Study}: submission for {Rows} rows of {File} written to {Folder}", studyId, test.Ids.Count, testFile, folder);
        }
        return new TrialResult.Completed(ensembleRow.Metrics.GetValueOrDefault(metric, double.NaN), []);
    }

    /// <summary>TF-IDF + logistic regression trained on every non-held-out row (one model per label for multi-label), probabilities for the held-out rows.</summary>
    private static double[][] Baseline(LabelledDataset dataset, DataSplits splits, int[] heldRows)
    {
        var training = Enumerable.Range(0, dataset.Count).Except(splits.HeldOut).ToArray();
        return ClassicFit(ClassicModels.TfidfWord, dataset, training).PredictProbabilities(heldRows.Select(i => dataset.Texts[i]).ToList());
    }

    /// <summary>A classic model of this kind fitted on these rows of the dataset, single- or multi-label as the dataset is.</summary>
    private static IClassicTextModel ClassicFit(string kind, LabelledDataset dataset, IReadOnlyList<int> rows)
    {
        var texts = rows.Select(i => dataset.Texts[i]).ToList();
        return dataset.Kind == TaskKind.MultiLabel
            ? ClassicModels.FitMultiLabel(kind, texts, rows.Select(i => dataset.Labels[i]).ToList())
            : ClassicModels.Fit(kind, texts, rows.Select(i => dataset.Classes[i]).ToList(), dataset.ClassNames.Count);
    }
}
