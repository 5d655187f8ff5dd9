using Microsoft.Extensions.Logging;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Baselines;
using SweepCluster.Training.Data;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.FineTuning;
using SweepCluster.Training.Storage;
using SweepCluster.Worker.Workloads;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Worker.Training;

// The ensemble step, after every final retrain: weights and thresholds are fitted on the out-of-fold
// probabilities of each backbone's best trial (never on held-out rows); then the ensemble, a hard vote,
// each member and a TF-IDF + logistic-regression baseline are scored on the held-out rows; and when the
// study names a test file, the ensemble predicts it into a submission.
public sealed partial class TrainingWorkload
{
    private Task<WorkloadResult> RunEnsembleAsync(TrialAssignment assignment, StudySpec spec, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(BuildEnsemble(assignment, spec, cancellationToken));
        }
        catch (Exception e) when (IsPermanent(e))
        {
            return Task.FromResult<WorkloadResult>(new WorkloadResult.Failed(e.Message));
        }
    }

    private WorkloadResult BuildEnsemble(TrialAssignment assignment, StudySpec spec, CancellationToken cancellationToken)
    {
        var root = _options.ArtifactsRoot;
        var studyId = assignment.StudyId;
        var (dataset, splits) = PreparedData.LoadSplits(spec.ToTrainingStudy());
        var targets = dataset.Targets;
        var multiLabel = dataset.Kind == TaskKind.MultiLabel;
        var higherIsBetter = spec.Objective.Direction == StudyDirection.Maximize;
        var metric = spec.Objective.Metric;

        var finetuned = FineTunedMembers(studyId, spec, assignment);
        if (finetuned.Count == 0 && spec.Final.ClassicMembers.Count == 0)
            return new WorkloadResult.Failed(spec.Final.Models == FinalModels.Folds
                ? $"no best trial with fold models under {ArtifactLayout.Study(root, studyId)} (is --artifacts shared by every worker?)"
                : $"no final model under {ArtifactLayout.Study(root, studyId)} (is --artifacts shared by every worker?)");
        var outOfFold = new Dictionary<string, Dictionary<int, double[]>>(StringComparer.Ordinal);
        var heldOutByMember = new Dictionary<string, Dictionary<int, double[]>>(StringComparer.Ordinal);
        var memberModels = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var memberKinds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in finetuned)
        {
            outOfFold[member.Name] = TrialArtifacts.ReadProbabilities(ArtifactLayout.OutOfFold(member.TrialFolder));
            heldOutByMember[member.Name] = TrialArtifacts.ReadProbabilities(member.HeldOut);
            memberModels[member.Name] = member.Folders.Select(f => Path.GetRelativePath(ArtifactLayout.Study(root, studyId), f)).ToList();
            memberKinds[member.Name] = "fine-tuned";
        }
        foreach (var kind in spec.Final.ClassicMembers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var name = ClassicMemberName(kind);
            var (oofProbabilities, heldProbabilities, classicFolder) = FitClassicMember(root, studyId, kind, dataset, splits);
            outOfFold[name] = oofProbabilities;
            heldOutByMember[name] = heldProbabilities;
            memberModels[name] = [Path.GetRelativePath(ArtifactLayout.Study(root, studyId), classicFolder)];
            memberKinds[name] = "classic";
            _logger.LogInformation("{Study} classic member {Kind}: {Folds} folds and the final fit in {Seconds:0.0}s", studyId, kind, splits.Folds.Count, clock.Elapsed.TotalSeconds);
        }
        var members = memberModels.Keys.ToList();
        var oofRows = outOfFold.Values.Select(d => (IEnumerable<int>)d.Keys).Aggregate((a, b) => a.Intersect(b)).Order().ToArray();
        var heldRows = splits.HeldOut.Order().ToArray();
        var missing = heldOutByMember.Where(m => heldRows.Any(r => !m.Value.ContainsKey(r))).Select(m => m.Key).ToList();
        if (missing.Count > 0) return new WorkloadResult.Failed($"held-out probabilities of {string.Join(", ", missing)} do not cover the study's held-out rows (the data changed since training?)");
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
            weightsMethod = $"fitted on the out-of-fold predictions of every member ({oofRows.Length} rows): the non-negative weights summing to 1 that minimise the soft vote's log loss, over a grid of the simplex";
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
        var ensembleHeld = Ensembler.Combine(rule, held);
        var ensembleRow = Scored($"ensemble ({method} vote of {weights.Count})", "ensemble", ensembleHeld, thresholds);
        var hardRule = new EnsembleRule("hard", task, Ensembler.EqualWeights(held.Keys), thresholds);
        var hardRow = Scored($"hard vote of {members.Count}", "hard-vote", Ensembler.Combine(hardRule, held), thresholds);
        var ownThresholds = members.ToDictionary(m => m, m => Ensembler.ChooseThresholds(oof[m], targets, oofRows, metric, higherIsBetter));
        var memberRows = members.Select(m => Scored(m, "member", held[m], ownThresholds[m]))
            .OrderBy(r => higherIsBetter ? -r.Metrics.GetValueOrDefault(metric) : r.Metrics.GetValueOrDefault(metric)).ToList();
        var baselineHeld = spec.Final.ClassicMembers.Contains(ClassicModels.TfidfWord) ? held[ClassicMemberName(ClassicModels.TfidfWord)] : Baseline(dataset, splits, heldRows);
        var baselineRow = Scored("tf-idf + logistic regression", "baseline", baselineHeld, multiLabel ? Enumerable.Repeat(0.5, dataset.ClassNames.Count).ToArray() : []);
        var comparison = Compare(ensembleHeld, thresholds, memberRows, held, ownThresholds, targets, heldRows, metric, higherIsBetter);
        var dropped = members.Where(m => !weights.ContainsKey(m)).ToList();

        var report = new EnsembleReport
        {
            StudyId = studyId, Metric = metric, HigherIsBetter = higherIsBetter, Task = task, ClassNames = dataset.ClassNames,
            Method = method, WeightsMethod = weightsMethod, Weights = weights, Thresholds = thresholds,
            HeldOutRows = heldRows.Length, OutOfFoldRows = oofRows.Length,
            Rows = [ensembleRow, hardRow, .. memberRows, baselineRow],
            Verdict = Ensembler.Verdict(ensembleRow, memberRows, metric, higherIsBetter, comparison),
            MemberModels = memberModels, MemberKinds = memberKinds, DroppedMembers = dropped, Comparison = comparison,
            TextColumn = spec.Data.TextColumn, IdColumn = spec.Data.IdColumn, LabelColumns = spec.Data.LabelColumns,
        };
        var folder = ArtifactLayout.Ensemble(root, studyId);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(ArtifactLayout.EnsembleReport(root, studyId), report.ToJson());
        _logger.LogInformation("{Study} ensemble: {Verdict}\n{Table}", studyId, report.Verdict, EnsembleTable.Format(report));

        if (spec.Data.Test is { } testFile)
        {
            var test = UnlabelledTexts.Load(testFile, spec.Data.TextColumn, spec.Data.IdColumn, spec.Data.Delimiter);
            var predictions = EnsemblePredictions.Predict(ArtifactLayout.Study(root, studyId), report, test.Texts, Device, line => _logger.LogInformation("{Study} test predictions: {Line}", studyId, line));
            EnsemblePredictions.WriteSubmission(ArtifactLayout.Submission(root, studyId), report, test.Ids, predictions);
            EnsemblePredictions.WriteProbabilities(ArtifactLayout.Probabilities(root, studyId), report, test.Ids, predictions);
            _logger.LogInformation("{Study}: submission for {Rows} rows of {File} written to {Folder}", studyId, test.Ids.Count, testFile, folder);
        }
        return new WorkloadResult.Completed(ensembleRow.Metrics.GetValueOrDefault(metric, double.NaN), []);
    }

    /// <summary>A fine-tuned member: its best trial's folder (oof.csv), its held-out probabilities, and the model folders that predict for it.</summary>
    private sealed record FineTunedMember(string Name, string TrialFolder, string HeldOut, IReadOnlyList<string> Folders);

    /// <summary>
    /// The fine-tuned members. models: retrain — each backbone with a final model. models: folds — each
    /// backbone named in the job's parameters with its best trial, whose fold models stand for it; the fold
    /// models of that backbone's other trials are deleted here (they can never be used).
    /// </summary>
    private List<FineTunedMember> FineTunedMembers(string studyId, StudySpec spec, TrialAssignment assignment)
    {
        var root = _options.ArtifactsRoot;
        var members = new List<FineTunedMember>();
        foreach (var backbone in spec.Backbones)
        {
            if (spec.Final.Models == FinalModels.Retrain)
            {
                var final = ArtifactLayout.FinalModel(root, studyId, backbone.Name);
                if (!File.Exists(Path.Combine(final, TrainedModel.InfoFile))) continue;
                var info = TrainedModel.ReadInfo(final);
                members.Add(new FineTunedMember(backbone.Name, ArtifactLayout.Trial(root, studyId, backbone.Name, info.SourceTrial),
                    ArtifactLayout.FinalHeldOut(root, studyId, backbone.Name), [final]));
                continue;
            }
            if (!assignment.Params.TryGetValue(StudyJob.BestTrialParam(backbone.Name), out var value)) continue;
            var best = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            var folder = ArtifactLayout.Trial(root, studyId, backbone.Name, best);
            var folds = TrialArtifacts.FoldModels(folder);
            if (folds.Count == 0) throw new FileNotFoundException($"{folder}: the best trial of {backbone.Name} kept no fold models (was the study submitted with final.models: folds?)", folder);
            members.Add(new FineTunedMember(backbone.Name, folder, ArtifactLayout.TrialHeldOut(folder), folds));
            var backboneFolder = Path.Combine(root, studyId, backbone.Name);
            if (!Directory.Exists(backboneFolder)) continue;
            foreach (var other in Directory.EnumerateDirectories(backboneFolder, "trial-*").Where(d => Path.GetFullPath(d) != Path.GetFullPath(folder)))
                TrialArtifacts.DeleteFoldModels(other);
        }
        return members;
    }

    /// <summary>A classic member's name in the report: "classic:KIND" (':' cannot occur in a backbone name).</summary>
    internal static string ClassicMemberName(string kind) => "classic:" + kind;

    /// <summary>
    /// A classic member's out-of-fold probabilities on exactly the study's folds (fitted on each fold's
    /// training rows, predicting its validation rows), then a fit on every non-held-out row, saved under
    /// ARTIFACTS/STUDY/classic/KIND/ for `sweep predict`, and its probabilities for the held-out rows.
    /// </summary>
    private static (Dictionary<int, double[]> OutOfFold, Dictionary<int, double[]> HeldOut, string Folder) FitClassicMember(string root, string studyId, string kind, LabelledDataset dataset, DataSplits splits)
    {
        var outOfFold = ClassicModels.OutOfFold(kind, dataset, splits.Folds);
        var training = Enumerable.Range(0, dataset.Count).Except(splits.HeldOut).ToArray();
        var model = ClassicModels.Fit(kind, dataset, training);
        var folder = ArtifactLayout.ClassicModel(root, studyId, kind);
        model.Save(folder);
        var held = model.PredictProbabilities(splits.HeldOut.Select(i => dataset.Texts[i]).ToList());
        return (outOfFold, splits.HeldOut.Select((row, i) => (row, held[i])).ToDictionary(x => x.row, x => x.Item2), folder);
    }

    /// <summary>
    /// Paired bootstraps (1,000 resamples, fixed seed) of ensemble − best member on the held-out rows, each
    /// under its own thresholds: the study's metric, then ROC-AUC when that is not the metric and is defined.
    /// </summary>
    private static IReadOnlyList<BootstrapDifference> Compare(double[][] ensemble, IReadOnlyList<double> thresholds, IReadOnlyList<ScoreRow> memberRows,
        Dictionary<string, double[][]> held, Dictionary<string, IReadOnlyList<double>> ownThresholds, TrainingTargets targets, int[] heldRows, string metric, bool higherIsBetter)
    {
        if (memberRows.Count == 0 || heldRows.Length == 0) return [];
        var best = Ensembler.BestMember(memberRows, metric, higherIsBetter).Name;
        Func<int[], double> ScoreOf(double[][] p, IReadOnlyList<double> t, string m) =>
            draw => Ensembler.Score(draw.Select(i => p[i]).ToArray(), targets, draw.Select(i => heldRows[i]).ToArray(), t).Metric(m);
        var result = new List<BootstrapDifference>();
        foreach (var m in metric == "roc_auc" ? ["roc_auc"] : new[] { metric, "roc_auc" })
        {
            var all = Enumerable.Range(0, heldRows.Length).ToArray();
            if (m == "roc_auc" && m != metric && double.IsNaN(ScoreOf(ensemble, thresholds, m)(all))) continue;
            result.Add(Ensembler.PairedBootstrap(m, best, heldRows.Length, ScoreOf(ensemble, thresholds, m), ScoreOf(held[best], ownThresholds[best], m)));
        }
        return result;
    }

    /// <summary>TF-IDF + logistic regression trained on every non-held-out row (one model per label for multi-label), probabilities for the held-out rows.</summary>
    private static double[][] Baseline(LabelledDataset dataset, DataSplits splits, int[] heldRows)
    {
        var training = Enumerable.Range(0, dataset.Count).Except(splits.HeldOut).ToArray();
        return ClassicModels.Fit(ClassicModels.TfidfWord, dataset, training).PredictProbabilities(heldRows.Select(i => dataset.Texts[i]).ToList());
    }
}
