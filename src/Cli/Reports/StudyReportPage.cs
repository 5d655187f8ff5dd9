using SweepCluster.Cli.Rendering;
using System.Globalization;
using System.Net;
using System.Text;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.Storage;

namespace SweepCluster.Cli.Reports;

/// <summary>
/// The `sweep report` page: one self-contained HTML file (inline CSS, inline SVG charts, a tiny inline
/// script, nothing fetched) so it can be mailed, archived or opened on a machine with no network.
/// </summary>
public static class StudyReportPage
{
    private const string CompleteColor = "#1f77b4";
    private const string PrunedColor = "#d62728";
    private const string OtherColor = "#8c8c8c";
    private const string BestColor = "#ff7f0e";
    private const string BarColor = "#2ca02c";

    private static readonly string[] MetricOrder = ["accuracy", "precision", "recall", "f1", "roc_auc", "loss"];

    /// <summary>The page for a study's status, trials and (once it ran) its ensemble report.</summary>
    /// <param name="refreshSeconds">Served live by the silo: the page reloads itself this often (a meta refresh); null for a file.</param>
    public static string Render(StudyStatus status, IReadOnlyList<TrialView> trials, EnsembleReport? ensemble, int? refreshSeconds = null)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        if (refreshSeconds is int seconds) html.Append($"<meta http-equiv=\"refresh\" content=\"{Int(seconds)}\">");
        html.Append($"<title>{E($"Study {status.Name} ({status.StudyId})")}</title><style>{Css}</style></head><body>\n");
        Header(html, status);
        foreach (var backbone in BackboneNames(status, trials))
            BackboneSection(html, status, backbone, trials.Where(t => t.Backbone == backbone).OrderBy(t => t.Number).ToList());
        EnsembleSection(html, ensemble);
        html.Append($"<script>{ChartCheckScript}</script>\n</body></html>\n");
        return html.ToString();
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static string Num(double? value) => value is double v ? (double.IsFinite(v) ? v.ToString("G5", CultureInfo.InvariantCulture) : "n/a") : "-";

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"f1 e1-3, f2 e1-2": each fold's epochs (folds 1-based, as the CLI counts them), read with ReportPosition.</summary>
    internal static string Positions(IEnumerable<StepValue> reports) => string.Join(", ",
        reports.Select(r => SweepCluster.Search.Sampling.ReportPosition.FromStep(r.Step)).GroupBy(p => p.Fold)
            .Select(g => g.Count() == 1 ? $"f{g.Key + 1} e{Int(g.First().Epoch)}" : $"f{g.Key + 1} e{Int(g.First().Epoch)}-{Int(g.Last().Epoch)}"));

    private static bool Better(double candidate, double incumbent, bool higherIsBetter) => higherIsBetter ? candidate > incumbent : candidate < incumbent;

    /// <summary>The status's backbones in its order, then any backbone only the trials mention.</summary>
    private static IEnumerable<string> BackboneNames(StudyStatus status, IReadOnlyList<TrialView> trials) =>
        status.Backbones.Select(b => b.Backbone).Concat(trials.Select(t => t.Backbone)).Distinct(StringComparer.Ordinal);

    private static List<TrialView> Completed(IEnumerable<TrialView> trials) =>
        trials.Where(t => t.Status == TrialState.Complete && t.Value is double v && double.IsFinite(v)).ToList();

    // ---- header ----

    private static void Header(StringBuilder html, StudyStatus status)
    {
        html.Append($"<header><h1>Study {E(status.Name)} <span class=\"id\">{E(status.StudyId)}</span></h1>");
        html.Append("<dl class=\"facts\">");
        html.Append($"<dt>state</dt><dd>{E(status.State.ToString().ToLowerInvariant())}</dd>");
        html.Append($"<dt>metric</dt><dd>{E(status.Metric)} ({E(status.Direction.ToString().ToLowerInvariant())})</dd>");
        html.Append($"<dt>created</dt><dd>{E(status.CreatedUtc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}</dd>");
        if (status.FinishedUtc is { } finished) html.Append($"<dt>finished</dt><dd>{E(finished.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))}</dd>");
        html.Append($"<dt>trials</dt><dd>{Int(status.Finished)} of {Int(status.Budget)} finished</dd></dl>");

        var statuses = Enum.GetValues<TrialState>();
        html.Append("<h2>Trials by status</h2><table class=\"counts\"><thead><tr><th>backbone</th>");
        foreach (var s in statuses) html.Append($"<th>{s.ToWire()}</th>");
        html.Append("<th>budget</th></tr></thead><tbody>");
        foreach (var b in status.Backbones)
        {
            html.Append($"<tr><th>{E(b.Backbone)}</th>");
            foreach (var s in statuses) html.Append($"<td>{Int(b.Count(s))}</td>");
            html.Append($"<td>{Int(b.Budget)}</td></tr>");
        }
        html.Append("<tr class=\"total\"><th>all</th>");
        foreach (var s in statuses) html.Append($"<td>{Int(status.Count(s))}</td>");
        html.Append($"<td>{Int(status.Budget)}</td></tr></tbody></table>");

        html.Append($"<h2>Best per backbone</h2><table class=\"best\"><thead><tr><th>backbone</th><th>trial</th><th>{E(status.Metric)}</th><th>params</th></tr></thead><tbody>");
        foreach (var b in status.Backbones)
            html.Append($"<tr><th>{E(b.Backbone)}</th><td>{(b.BestTrial is { } n ? Int(n) : "-")}</td><td>{Num(b.BestValue)}</td><td>{E(StudyRendering.Params(b.BestParams))}</td></tr>");
        html.Append("</tbody></table></header>\n");
    }

    // ---- per backbone charts ----

    private static void BackboneSection(StringBuilder html, StudyStatus status, string backbone, IReadOnlyList<TrialView> trials)
    {
        var higherIsBetter = status.Direction == StudyDirection.Maximize;
        html.Append($"<section class=\"backbone\"><h2>Backbone {E(backbone)}</h2><div class=\"charts\">\n");
        Figure(html, HistoryChart(backbone, status.Metric, trials, higherIsBetter),
            $"Each dot is a completed trial's {status.Metric}; the line is the best so far ({(higherIsBetter ? "higher" : "lower")} is better).");
        Figure(html, IntermediateChart(backbone, status.Metric, trials),
            "x is the epoch within a fold. Each trial's folds are faint lines; its bold line is the mean over the folds that reached each epoch " +
            "(the objective is the mean over folds, and pruners compare trials at the same fold and epoch). Pruned trials in red with × at their last report; the tooltip names every report's fold and epoch.");
        Figure(html, ImportanceChart(backbone, trials), ParameterImportance.Method);
        Figure(html, ParallelChart(backbone, status.Metric, trials, higherIsBetter),
            "The best completed trials (at most 10), one line each, the best in orange; every axis is scaled from its own minimum (bottom) to maximum (top).");
        html.Append("</div></section>\n");
    }

    /// <summary>A chart with its caption, or the reason there is no chart (kept out of the drawn-chart count).</summary>
    private static void Figure(StringBuilder html, (SvgChart? Chart, string? Empty) content, string caption)
    {
        html.Append("<figure>");
        html.Append(content.Chart is { } chart ? chart.ToString() : $"<p class=\"empty\">{E(content.Empty)}</p>");
        html.Append($"<figcaption>{E(caption)}</figcaption></figure>\n");
    }

    private static (SvgChart?, string?) HistoryChart(string backbone, string metric, IReadOnlyList<TrialView> trials, bool higherIsBetter)
    {
        var completed = Completed(trials);
        if (completed.Count == 0) return (null, $"Optimisation history of {backbone}: no completed trial yet.");
        var (yMin, yMax) = SvgChart.Padded(completed.Select(t => t.Value!.Value));
        var chart = new SvgChart("history", $"Optimisation history · {backbone}",
            completed.Min(t => t.Number) - 0.5, completed.Max(t => t.Number) + 0.5, yMin, yMax);
        chart.Axes("trial number", metric, integerX: true);
        var bestSoFar = new List<(double X, double Y)>();
        foreach (var t in completed)
        {
            var value = t.Value!.Value;
            var best = bestSoFar.Count == 0 || Better(value, bestSoFar[^1].Y, higherIsBetter) ? value : bestSoFar[^1].Y;
            bestSoFar.Add((t.Number, best));
        }
        chart.StepLine(bestSoFar, BestColor);
        foreach (var t in completed) chart.Point(t.Number, t.Value!.Value, CompleteColor, tooltip: $"trial {t.Number}: {Num(t.Value)}");
        return (chart.Legend(("trial value", CompleteColor), ("best so far", BestColor)), null);
    }

    private static (SvgChart?, string?) IntermediateChart(string backbone, string metric, IReadOnlyList<TrialView> trials)
    {
        var reporting = trials.Where(t => t.IntermediateValues.Any(v => double.IsFinite(v.Value))).ToList();
        if (reporting.Count == 0) return (null, $"Intermediate values of {backbone}: no trial has reported yet.");
        var (yMin, yMax) = SvgChart.Padded(reporting.SelectMany(t => t.IntermediateValues.Select(v => v.Value)));
        var positions = reporting.SelectMany(t => t.IntermediateValues.Select(v => ReportPosition.FromStep(v.Step))).ToList();
        var (xMin, xMax) = (positions.Min(p => p.Epoch), positions.Max(p => p.Epoch));
        var chart = new SvgChart("intermediate", $"Intermediate values · {backbone}", xMin, Math.Max(xMin + 1, xMax), yMin, yMax);
        chart.Axes("epoch (within a fold)", metric, integerX: true);
        // Pruned last so their lines and × markers sit on top.
        foreach (var t in reporting.OrderBy(t => t.Status == TrialState.Pruned))
        {
            var color = t.Status switch { TrialState.Pruned => PrunedColor, TrialState.Complete => CompleteColor, _ => OtherColor };
            var tooltip = $"trial {t.Number} ({t.Status.ToWire()}), reports {Positions(t.IntermediateValues)}";
            var folds = FoldCurves(t.IntermediateValues);
            if (folds.Count > 1)
                foreach (var fold in folds.Values) chart.Polyline(fold, color, strokeWidth: 1, tooltip: tooltip, opacity: 0.25);
            var mean = MeanOverFolds(folds);
            chart.Polyline(mean, color, tooltip: tooltip, opacity: 0.85);
            if (mean.Count == 1) chart.Point(mean[0].X, mean[0].Y, color, 2.5, tooltip);
            if (t.Status == TrialState.Pruned && t.IntermediateValues.Count > 0)
            {
                var last = t.IntermediateValues.MaxBy(v => v.Step)!;
                var at = ReportPosition.FromStep(last.Step);
                chart.Cross(at.Epoch, last.Value, PrunedColor, tooltip: $"trial {t.Number} pruned after {at}");
            }
        }
        return (chart.Legend(("complete", CompleteColor), ("pruned ×", PrunedColor), ("other", OtherColor)), null);
    }

    /// <summary>A trial's reports as one curve per fold: fold → (epoch, value) in epoch order.</summary>
    internal static SortedDictionary<int, List<(double X, double Y)>> FoldCurves(IEnumerable<StepValue> reports)
    {
        var folds = new SortedDictionary<int, List<(double X, double Y)>>();
        foreach (var report in reports.OrderBy(r => r.Step))
        {
            var position = ReportPosition.FromStep(report.Step);
            if (!folds.TryGetValue(position.Fold, out var curve)) folds[position.Fold] = curve = [];
            curve.Add((position.Epoch, report.Value));
        }
        return folds;
    }

    /// <summary>Per epoch, the mean of the finite values of the folds that reported that epoch (a running fold's partial curve included).</summary>
    internal static List<(double X, double Y)> MeanOverFolds(SortedDictionary<int, List<(double X, double Y)>> folds) =>
        folds.Values.SelectMany(f => f).Where(p => double.IsFinite(p.Y)).GroupBy(p => p.X).OrderBy(g => g.Key)
            .Select(g => (g.Key, g.Average(p => p.Y))).ToList();

    private static (SvgChart?, string?) ImportanceChart(string backbone, IReadOnlyList<TrialView> trials)
    {
        var completed = Completed(trials);
        if (completed.Count < ParameterImportance.MinimumTrials)
            return (null, $"Parameter importances of {backbone}: need at least {ParameterImportance.MinimumTrials} completed trials, have {completed.Count}.");
        var importances = ParameterImportance.Compute(completed);
        if (importances.Count == 0) return (null, $"Parameter importances of {backbone}: the trials have no parameters.");
        var labelWidth = Math.Clamp(importances.Max(i => i.Parameter.Length) * 7 + 16, 64, 200);
        var chart = new SvgChart("importance", $"Parameter importances · {backbone}", 0, 1, 0, 1, leftMargin: labelWidth);
        chart.BottomAxis("importance (share of total |Spearman ρ|)");
        return (chart.HorizontalBars(importances.Select(i => (i.Parameter, i.Importance)).ToList(), BarColor), null);
    }

    private static (SvgChart?, string?) ParallelChart(string backbone, string metric, IReadOnlyList<TrialView> trials, bool higherIsBetter)
    {
        var best = Completed(trials);
        best = (higherIsBetter ? best.OrderByDescending(t => t.Value) : best.OrderBy(t => t.Value)).ThenBy(t => t.Number).Take(10).ToList();
        if (best.Count == 0) return (null, $"Parallel coordinates of {backbone}: no completed trial yet.");

        var parameters = best.SelectMany(t => t.InternalParams.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var axes = parameters.Select(name => ParallelAxis.ForParameter(name, best))
            .Append(ParallelAxis.ForValue(metric, best)).ToList();
        var chart = new SvgChart("parallel", $"Parallel coordinates · {backbone} (best {best.Count}; trial {best[0].Number} highlighted)", -0.35, axes.Count - 0.65, 0, 1, topMargin: 50);
        for (var i = 0; i < axes.Count; i++) chart.VerticalAxis(i, axes[i].Name, axes[i].MinLabel, axes[i].MaxLabel);
        // Best trial last, so its highlighted line is drawn over the others.
        foreach (var t in best.Skip(1).Append(best[0]))
        {
            var isBest = ReferenceEquals(t, best[0]);
            var points = axes.Select((axis, i) => ((double)i, axis.Normalised(t))).ToList();
            chart.Polyline(points, isBest ? BestColor : CompleteColor, isBest ? 3 : 1.5, $"trial {t.Number}: {Num(t.Value)}", isBest ? 1 : 0.55);
        }
        return (chart, null);
    }

    /// <summary>One parallel-coordinates axis: how a trial maps to 0..1 and what its ends are labelled.</summary>
    private sealed record ParallelAxis(string Name, Func<TrialView, double> Read, double Min, double Max, string MinLabel, string MaxLabel)
    {
        public double Normalised(TrialView trial)
        {
            var value = Read(trial);
            if (!double.IsFinite(value)) return double.NaN;
            return Max - Min > 1e-12 ? (value - Min) / (Max - Min) : 0.5;
        }

        public static ParallelAxis ForParameter(string name, IReadOnlyList<TrialView> trials)
        {
            double Read(TrialView t) => t.InternalParams.TryGetValue(name, out var v) ? v : double.NaN;
            var having = trials.Where(t => double.IsFinite(Read(t))).ToList();
            if (having.Count == 0) return new(name, Read, 0, 1, "-", "-");
            var lowest = having.MinBy(Read)!;
            var highest = having.MaxBy(Read)!;
            // Label the ends with what the worker saw (a categorical's choice, not its index).
            string Label(TrialView t) => t.Params.TryGetValue(name, out var shown) ? StudyRendering.Value(shown) : SvgChart.Number(Read(t));
            return new(name, Read, Read(lowest), Read(highest), Label(lowest), Label(highest));
        }

        public static ParallelAxis ForValue(string metric, IReadOnlyList<TrialView> trials)
        {
            var values = trials.Select(t => t.Value!.Value).ToList();
            return new(metric, t => t.Value ?? double.NaN, values.Min(), values.Max(), SvgChart.Number(values.Min()), SvgChart.Number(values.Max()));
        }
    }

    // ---- ensemble ----

    private static void EnsembleSection(StringBuilder html, EnsembleReport? ensemble)
    {
        html.Append("<section class=\"ensemble\"><h2>Ensemble</h2>");
        if (ensemble is null)
        {
            html.Append("<p class=\"pending\">The ensemble has not run yet: there is no ensemble/ensemble.json in the study's artifacts.</p></section>\n");
            return;
        }
        var beatsBest = EnsembleBeatsBestMember(ensemble);
        var tone = beatsBest switch { true => "good", false => "warn", null => "neutral" };
        html.Append($"<div class=\"verdict {tone}\" role=\"note\"><strong>Verdict</strong><p>{E(ensemble.Verdict)}</p></div>");

        html.Append("<dl class=\"facts\">");
        html.Append($"<dt>task</dt><dd>{E(ensemble.Task)}</dd>");
        html.Append($"<dt>metric</dt><dd>{E(ensemble.Metric)} ({(ensemble.HigherIsBetter ? "higher" : "lower")} is better)</dd>");
        html.Append($"<dt>method</dt><dd>{E(ensemble.Method)}</dd>");
        html.Append($"<dt>classes</dt><dd>{E(string.Join(", ", ensemble.ClassNames))}</dd>");
        html.Append($"<dt>held-out rows</dt><dd>{Int(ensemble.HeldOutRows)}</dd><dt>out-of-fold rows</dt><dd>{Int(ensemble.OutOfFoldRows)}</dd></dl>");

        ScoreTable(html, ensemble);
        WeightsAndThresholds(html, ensemble);

        html.Append("<h3>Confusion matrices (held-out rows; rows true, columns predicted)</h3><div class=\"confusions\">");
        foreach (var row in ensemble.Rows) ConfusionGroup(html, ensemble, row);
        html.Append("</div></section>\n");
    }

    /// <summary>Whether the ensemble row scores better than every member row on the study metric; null when it cannot tell.</summary>
    private static bool? EnsembleBeatsBestMember(EnsembleReport ensemble)
    {
        var ensembleRow = ensemble.Rows.FirstOrDefault(r => r.Kind == "ensemble");
        if (ensembleRow is null || !ensembleRow.Metrics.TryGetValue(ensemble.Metric, out var score) || !double.IsFinite(score)) return null;
        var members = ensemble.Rows.Where(r => r.Kind == "member" && r.Metrics.TryGetValue(ensemble.Metric, out var m) && double.IsFinite(m))
            .Select(r => r.Metrics[ensemble.Metric]).ToList();
        if (members.Count == 0) return null;
        var bestMember = ensemble.HigherIsBetter ? members.Max() : members.Min();
        return Better(score, bestMember, ensemble.HigherIsBetter);
    }

    private static void ScoreTable(StringBuilder html, EnsembleReport ensemble)
    {
        var present = ensemble.Rows.SelectMany(r => r.Metrics.Keys).Distinct(StringComparer.Ordinal).ToList();
        var metrics = MetricOrder.Where(present.Contains).Concat(present.Where(m => !MetricOrder.Contains(m))).ToList();
        var aucLabels = ensemble.Rows.SelectMany(r => r.RocAucByLabel?.Keys ?? []).Distinct(StringComparer.Ordinal).ToList();

        html.Append("<h3>Scores on the held-out rows</h3><table class=\"scores\"><thead><tr><th>model</th><th>kind</th>");
        foreach (var m in metrics) html.Append(m == ensemble.Metric ? $"<th class=\"study-metric\">{E(m)}</th>" : $"<th>{E(m)}</th>");
        foreach (var label in aucLabels) html.Append($"<th>ROC-AUC {E(label)}</th>");
        html.Append("</tr></thead><tbody>");
        foreach (var row in ensemble.Rows)
        {
            html.Append($"<tr class=\"{E(row.Kind)}\"><th>{E(row.Name)}</th><td>{E(row.Kind)}</td>");
            foreach (var m in metrics) html.Append($"<td>{(row.Metrics.TryGetValue(m, out var v) ? Num(v) : "-")}</td>");
            foreach (var label in aucLabels) html.Append($"<td>{(row.RocAucByLabel?.TryGetValue(label, out var v) == true ? Num(v) : "-")}</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
    }

    private static void WeightsAndThresholds(StringBuilder html, EnsembleReport ensemble)
    {
        html.Append($"<h3>Weights of the members</h3><p class=\"method\">{E(ensemble.WeightsMethod)}</p><table class=\"weights\"><thead><tr><th>member</th><th>kind</th><th>weight</th><th>model</th></tr></thead><tbody>");
        // Every member, those the weight fit dropped (weight 0) included and said so.
        foreach (var member in ensemble.Weights.Keys.Concat(ensemble.MemberModels.Keys.Where(m => !ensemble.Weights.ContainsKey(m))))
        {
            var weight = ensemble.Weights.TryGetValue(member, out var w) ? Num(w) : "0 (dropped)";
            var folders = ensemble.MemberModels.TryGetValue(member, out var f) ? (f.Count == 1 ? f[0] : $"mean of {f.Count}: {string.Join(", ", f)}") : "-";
            html.Append($"<tr><th>{E(member)}</th><td>{E(ensemble.MemberKinds.GetValueOrDefault(member, "fine-tuned"))}</td><td>{weight}</td><td>{E(folders)}</td></tr>");
        }
        html.Append("</tbody></table>");
        if (ensemble.Comparison.Count > 0)
        {
            html.Append("<h3>Ensemble against its best member (paired bootstrap on the held-out rows)</h3><table class=\"comparison\"><thead><tr><th>metric</th><th>against</th><th>ensemble − member</th><th>standard error</th><th>95% interval</th><th>resamples</th></tr></thead><tbody>");
            foreach (var c in ensemble.Comparison)
                html.Append($"<tr><th>{E(c.Metric)}</th><td>{E(c.Against)}</td><td>{Num(c.Observed)}</td><td>{Num(c.StandardError)}</td><td>{Num(c.Low)} to {Num(c.High)}</td><td>{Int(c.Resamples)}</td></tr>");
            html.Append("</tbody></table>");
        }
        html.Append("<h3>Decision thresholds</h3>");
        if (ensemble.Thresholds.Count == 0)
        {
            html.Append("<p>None: multi-class predictions take the most probable class.</p>");
            return;
        }
        html.Append("<table class=\"thresholds\"><thead><tr><th>applies to</th><th>threshold</th></tr></thead><tbody>");
        for (var i = 0; i < ensemble.Thresholds.Count; i++)
            html.Append($"<tr><th>{E(ThresholdTarget(ensemble, i))}</th><td>{Num(ensemble.Thresholds[i])}</td></tr>");
        html.Append("</tbody></table>");
    }

    private static string ThresholdTarget(EnsembleReport ensemble, int index) => ensemble.Task switch
    {
        "Binary" when ensemble.ClassNames.Count == 2 => $"positive class '{ensemble.ClassNames[1]}'",
        "MultiLabel" when index < ensemble.ClassNames.Count => $"label '{ensemble.ClassNames[index]}'",
        _ => $"threshold {index + 1}",
    };

    private static void ConfusionGroup(StringBuilder html, EnsembleReport ensemble, ScoreRow row)
    {
        html.Append($"<div class=\"confusion-group\"><h4>{E(row.Name)} <span class=\"kind\">{E(row.Kind)}</span></h4>");
        if (row.Confusion.Count == 0) html.Append("<p class=\"empty\">No confusion matrix.</p>");
        foreach (var (label, matrix) in row.Confusion)
        {
            // Single-label matrices are over the classes; multi-label ones are a label's no/yes.
            IReadOnlyList<string> names = matrix.Length == ensemble.ClassNames.Count && ensemble.Task != "MultiLabel"
                ? ensemble.ClassNames
                : matrix.Length == 2 ? new[] { "no", "yes" } : Enumerable.Range(0, matrix.Length).Select(Int).ToList();
            ConfusionTable(html, row.Name, label, names, matrix);
        }
        html.Append("</div>");
    }

    private static void ConfusionTable(StringBuilder html, string rowName, string label, IReadOnlyList<string> names, int[][] matrix)
    {
        var max = Math.Max(1, matrix.SelectMany(r => r ?? []).DefaultIfEmpty(0).Max());
        html.Append($"<table class=\"confusion\" data-model=\"{E(rowName)}\" data-label=\"{E(label)}\">");
        if (label != "all") html.Append($"<caption>{E(label)}</caption>");
        html.Append("<thead><tr><th>true \\ predicted</th>");
        foreach (var name in names) html.Append($"<th>{E(name)}</th>");
        html.Append("</tr></thead><tbody>");
        for (var i = 0; i < matrix.Length; i++)
        {
            html.Append($"<tr><th>{E(i < names.Count ? names[i] : Int(i))}</th>");
            foreach (var count in matrix[i] ?? [])
            {
                var shade = (double)count / max;
                var ink = shade > 0.55 ? "#fff" : "#111";
                html.Append($"<td style=\"background:rgba(31,119,180,{shade.ToString("0.###", CultureInfo.InvariantCulture)});color:{ink}\">{Int(count)}</td>");
            }
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
    }

    // ---- inline assets ----

    private const string Css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1200px;color:#111;padding:0 16px}
        h1 .id{font-size:.6em;color:#666;font-weight:normal}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px}dl.facts dt{color:#555}dl.facts dd{margin:0}
        table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}
        th{background:#f6f6f6}tbody th{text-align:left}tr.total td,tr.ensemble td,tr.ensemble th{font-weight:bold}th.study-metric{background:#e3eefb}
        .charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:16px}
        figure{margin:0}figcaption{font-size:.85em;color:#555;max-width:560px}
        svg.chart{background:#fff;border:1px solid #eee;font-size:11px}svg.chart .axis line{stroke:#444}svg.chart line.grid{stroke:#eee}
        svg.chart .chart-title{font-size:13px;font-weight:bold}svg.chart .axis-title{font-size:12px;fill:#333}
        .verdict{border-left:6px solid;padding:8px 16px;margin:12px 0;font-size:1.15em}.verdict p{margin:4px 0}
        .verdict.good{border-color:#2ca02c;background:#eef8ee}.verdict.warn{border-color:#d62728;background:#fdeeee}.verdict.neutral{border-color:#888;background:#f4f4f4}
        .confusions{display:flex;flex-wrap:wrap;gap:16px}.confusion-group h4{margin:4px 0}.kind{color:#666;font-weight:normal}
        table.confusion caption{font-weight:bold;text-align:left}p.empty,p.pending{color:#666;font-style:italic}
        """;

    /// <summary>Counts the charts the browser really drew, for people and for the headless-browser test.</summary>
    private const string ChartCheckScript = """
        window.addEventListener('load', function () {
          var charts = document.querySelectorAll('svg.chart');
          var drawn = 0;
          charts.forEach(function (svg) {
            var box = svg.getBBox();
            var marks = svg.querySelector('path.mark, polyline.mark, circle.mark, rect.mark');
            if (box.width > 0 && box.height > 0 && marks) drawn++;
          });
          document.body.dataset.chartsDrawn = String(drawn);
          document.body.dataset.chartsTotal = String(charts.length);
        });
        """;

    /// <summary>
    /// The ensemble step's report (ensemble.json), or null when it has not run (no file) or cannot be read; then
    /// <paramref name="problem"/> says why ("not a readable ensemble report (...)"), else it is null.
    /// </summary>
    public static EnsembleReport? LoadEnsemble(string path, out string? problem)
    {
        problem = null;
        if (Directory.Exists(path))
        {
            problem = $"{path}: is a folder, not an ensemble report";
            return null;
        }
        if (!File.Exists(path)) return null;
        try
        {
            return EnsembleReport.Load(path);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException or IOException)
        {
            problem = $"{path}: not a readable ensemble report ({e.Message})";
            return null;
        }
    }

    /// <summary>Writes the page to <paramref name="path"/>, creating its folder; returns the full path.</summary>
    public static async Task<string> WriteAsync(string path, StudyStatus status, IReadOnlyList<TrialView> trials, EnsembleReport? ensemble, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } folder) Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(full, Render(status, trials, ensemble), cancellationToken);
        return full;
    }

    /// <summary>
    /// This page as the silo serves it live (/studies/{id}/report): the same renderer as `sweep report`,
    /// with the ensemble read from <paramref name="artifactsRoot"/> when given (`sweep up` knows it; a
    /// standalone silo does not, and its pages leave the ensemble out).
    /// </summary>
    public sealed class LiveRenderer(string? artifactsRoot) : SweepCluster.Silo.IStudyReportRenderer
    {
        public string Render(StudyStatus status, IReadOnlyList<TrialView> trials, int? refreshSeconds)
        {
            // A report being written (or a corrupt one) leaves the section out until the next reload.
            var ensemble = artifactsRoot is null ? null : LoadEnsemble(ArtifactLayout.EnsembleReport(artifactsRoot, status.StudyId), out _);
            return StudyReportPage.Render(status, trials, ensemble, refreshSeconds);
        }
    }
}
