using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using SweepCluster.Cli.Reports;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Ensembles;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Tests.Reports;

public sealed class StudyReportPageTests
{
    private const string Plain = "distilbert";
    private const string Tricky = "roberta <b>large</b>";
    private static readonly string[] ChartKinds = ["history", "intermediate", "importance", "parallel"];

    // ---- realistic in-memory data ----

    private static TrialView Trial(string backbone, int number, TrialState status, double? value, double learningRate, double weightDecay, int scheduler, params double[] reports)
    {
        // Stored steps of ReportPosition (fold, epoch): fold 0 epochs 1-3, then fold 1 epochs 1-2.
        int[] steps = [1, 2, 3, 1001, 1002];
        var schedulers = new[] { "linear", "cosine" };
        return new TrialView
        {
            StudyId = "demo", Backbone = backbone, Number = number, Status = status, Value = value,
            Params = new Dictionary<string, object> { ["learning_rate"] = learningRate, ["weight_decay"] = weightDecay, ["scheduler"] = schedulers[scheduler] },
            InternalParams = new Dictionary<string, double> { ["learning_rate"] = learningRate, ["weight_decay"] = weightDecay, ["scheduler"] = scheduler },
            IntermediateValues = reports.Select((r, i) => new StepValue(steps[i], r)).ToList(),
            Attempts = 1,
            Error = status == TrialState.Failed ? "CUDA out of memory <oom>" : null,
        };
    }

    private static List<TrialView> Trials(string backbone, double offset) =>
    [
        Trial(backbone, 0, TrialState.Complete, 0.71 + offset, 1e-5, 0.01, 0, 0.55, 0.62, 0.66, 0.69, 0.71 + offset),
        Trial(backbone, 1, TrialState.Complete, 0.78 + offset, 3e-5, 0.05, 1, 0.60, 0.70, 0.74, 0.76, 0.78 + offset),
        Trial(backbone, 2, TrialState.Pruned, 0.41, 1e-3, 0.20, 0, 0.35, 0.41),
        Trial(backbone, 3, TrialState.Complete, 0.83 + offset, 5e-5, 0.10, 1, 0.64, 0.75, 0.80, 0.81, 0.83 + offset),
        Trial(backbone, 4, TrialState.Pruned, 0.48, 8e-4, 0.15, 0, 0.40, 0.45, 0.48),
        Trial(backbone, 5, TrialState.Complete, 0.80 + offset, 4e-5, 0.08, 0, 0.62, 0.72, 0.77, 0.79, 0.80 + offset),
    ];

    private static (StudyStatus Status, List<TrialView> Trials) Study(string secondBackbone = Tricky)
    {
        var trials = Trials(Plain, 0).Concat(Trials(secondBackbone, 0.02)).ToList();
        trials.Add(Trial(secondBackbone, 6, TrialState.Failed, null, 2e-3, 0.30, 1));
        var status = new StudyStatus
        {
            StudyId = "demo", Name = "sentiment <demo>", State = StudyState.Finished, Metric = "f1", Direction = StudyDirection.Maximize,
            CreatedUtc = new DateTime(2025, 3, 1, 9, 30, 0, DateTimeKind.Utc),
            Backbones = [Backbone(Plain, trials), Backbone(secondBackbone, trials)],
        };
        return (status, trials);
    }

    private static BackboneStatus Backbone(string name, IEnumerable<TrialView> all)
    {
        var mine = all.Where(t => t.Backbone == name).ToList();
        var best = mine.Where(t => t.Status == TrialState.Complete).MaxBy(t => t.Value)!;
        return new BackboneStatus
        {
            Backbone = name, Budget = 8, Counts = mine.GroupBy(t => t.Status).ToDictionary(g => g.Key, g => g.Count()),
            BestValue = best.Value, BestTrial = best.Number, BestParams = best.Params,
        };
    }

    internal const string BinaryVerdict = "The ensemble does not beat its best member (roberta-large): f1 0.842 vs 0.851 on 400 held-out rows.";

    private static ScoreRow Row(string name, string kind, double f1, int[][] confusion) => new()
    {
        Name = name, Kind = kind,
        Metrics = new Dictionary<string, double> { ["accuracy"] = f1 + 0.03, ["precision"] = f1 + 0.01, ["recall"] = f1 - 0.01, ["f1"] = f1, ["roc_auc"] = f1 + 0.08, ["loss"] = 1 - f1 },
        RocAucByLabel = new Dictionary<string, double> { ["positive"] = f1 + 0.08 },
        Confusion = new Dictionary<string, int[][]> { ["all"] = confusion },
    };

    internal static EnsembleReport BinaryEnsemble() => new()
    {
        StudyId = "demo", Metric = "f1", HigherIsBetter = true, Task = "Binary", ClassNames = ["negative", "positive"],
        Method = "soft", WeightsMethod = "fitted on out-of-fold probabilities (coordinate ascent on f1)",
        Weights = new Dictionary<string, double> { [Plain] = 0.4, ["roberta-large"] = 0.6 },
        Thresholds = [0.42], HeldOutRows = 400, OutOfFoldRows = 1600,
        Rows =
        [
            Row("ensemble", "ensemble", 0.842, [[180, 20], [40, 160]]),
            Row("hard-vote", "hard-vote", 0.830, [[175, 25], [42, 158]]),
            Row(Plain, "member", 0.801, [[170, 30], [48, 152]]),
            Row("roberta-large", "member", 0.851, [[182, 18], [38, 162]]),
            Row("tfidf-logreg", "baseline", 0.702, [[150, 50], [70, 130]]),
        ],
        Verdict = BinaryVerdict,
        MemberModels = new Dictionary<string, IReadOnlyList<string>> { [Plain] = ["distilbert/trial-3/model"], ["roberta-large"] = ["roberta-large/trial-3/model"] },
    };

    private static EnsembleReport MultiLabelEnsemble()
    {
        string[] labels = ["toxic", "obscene", "threat"];
        ScoreRow LabelRow(string name, string kind, double f1) => new()
        {
            Name = name, Kind = kind, Metrics = new Dictionary<string, double> { ["f1"] = f1, ["roc_auc"] = 0.9 },
            RocAucByLabel = labels.ToDictionary(l => l, _ => 0.9),
            Confusion = labels.ToDictionary(l => l, _ => new[] { new[] { 90, 3 }, new[] { 2, 5 } }),
        };
        return BinaryEnsemble() with
        {
            Task = "MultiLabel", ClassNames = labels, Thresholds = [0.3, 0.4, 0.5],
            Rows = [LabelRow("ensemble", "ensemble", 0.62), LabelRow("hard-vote", "hard-vote", 0.61), LabelRow(Plain, "member", 0.60), LabelRow("tfidf-logreg", "baseline", 0.50)],
            Verdict = "The ensemble beats its best member by 0.02 macro f1.",
        };
    }

    private static int Count(string page, string text) => Regex.Matches(page, Regex.Escape(text)).Count;

    // ---- unit checks ----

    [Fact]
    public void The_page_has_every_section_and_the_four_charts_of_each_backbone()
    {
        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, BinaryEnsemble());

        foreach (var heading in new[] { "Trials by status", "Best per backbone", "Backbone distilbert", "Ensemble", "Scores on the held-out rows", "Weights", "Decision thresholds", "Confusion matrices" })
            Assert.Contains(heading, page);
        foreach (var kind in ChartKinds)
            Assert.Equal(2, Count(page, $"<svg class=\"chart\" data-chart=\"{kind}\""));
        Assert.Equal(8, Count(page, "<svg class=\"chart\""));
        // The x axis is the epoch within a fold, said in a caption; the tooltips name each report's fold and epoch.
        Assert.Contains("epoch (within a fold)", page);
        Assert.Contains("mean over the folds", page);
        Assert.Contains("reports f1 e1-3, f2 e1-2", page);
        Assert.Contains("Spearman", page);
        Assert.Contains("<path class=\"mark cross\"", page); // pruned trials end with ×
        Assert.Contains("document.body.dataset.chartsDrawn", page);
    }

    [Fact]
    public void Intermediate_values_are_drawn_per_fold_with_their_mean_per_epoch_and_clipped_to_the_plot()
    {
        // Fold 0 epochs 1-3: 0.55, 0.62, 0.66; fold 1 epochs 1-2: 0.69, 0.71 (trial 0 of Trials()).
        var folds = StudyReportPage.FoldCurves([new StepValue(1, 0.55), new StepValue(2, 0.62), new StepValue(3, 0.66), new StepValue(1001, 0.69), new StepValue(1002, 0.71)]);
        Assert.Equal([0, 1], folds.Keys);
        Assert.Equal([(1.0, 0.55), (2.0, 0.62), (3.0, 0.66)], folds[0]);
        Assert.Equal([(1.0, 0.69), (2.0, 0.71)], folds[1]);
        // By hand: epoch 1 (0.55 + 0.69) / 2 = 0.62, epoch 2 (0.62 + 0.71) / 2 = 0.665, epoch 3 fold 0 alone 0.66.
        var mean = StudyReportPage.MeanOverFolds(folds);
        Assert.Equal([1.0, 2.0, 3.0], mean.Select(p => p.X));
        Assert.Equal([0.62, 0.665, 0.66], mean.Select(p => Math.Round(p.Y, 10)));

        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, BinaryEnsemble());
        var chart = Regex.Match(page, "<svg class=\"chart\" data-chart=\"intermediate\".*?</svg>", RegexOptions.Singleline).Value;
        // x runs over epochs 1..3, not report ordinals 1..5.
        Assert.DoesNotContain(">5</text>", chart);
        Assert.Contains(">3</text>", chart);
        // Six trials report; four of them reached fold 2: 4 × 2 faint fold lines, plus one mean line per reporting trial.
        Assert.Equal(8, Count(chart, "stroke-opacity=\"0.25\""));
        Assert.Equal(6, Count(chart, "stroke-opacity=\"0.85\""));
        // Every line is clipped to the plot area, defined once in the chart.
        var clip = Regex.Match(chart, "<clipPath id=\"([^\"]+)\">").Groups[1].Value;
        Assert.NotEqual("", clip);
        Assert.Equal(Count(chart, "<polyline"), Count(chart, $"clip-path=\"url(#{clip})\""));
    }

    [Fact]
    public void Nothing_is_fetched_from_the_network()
    {
        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, BinaryEnsemble());
        Assert.DoesNotContain("http://", page);
        Assert.DoesNotContain("https://", page);
        Assert.DoesNotMatch(new Regex(@"\b(src|href)\s*=", RegexOptions.IgnoreCase), page);
        Assert.DoesNotContain("<link", page);
    }

    [Fact]
    public void Text_from_the_study_is_html_encoded()
    {
        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, BinaryEnsemble());
        Assert.DoesNotContain("<b>", page);
        Assert.DoesNotContain("<demo>", page);
        Assert.Contains("roberta &lt;b&gt;large&lt;/b&gt;", page);
        Assert.Contains("sentiment &lt;demo&gt;", page);
    }

    [Fact]
    public void The_verdict_is_a_callout_that_warns_when_the_ensemble_loses_to_a_member()
    {
        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, BinaryEnsemble());
        var callout = Regex.Match(page, "<div class=\"verdict (\\w+)\"[^>]*>(.*?)</div>");
        Assert.True(callout.Success, "no verdict callout");
        Assert.Equal("warn", callout.Groups[1].Value);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(BinaryVerdict), callout.Groups[2].Value);

        var winning = StudyReportPage.Render(status, trials, MultiLabelEnsemble());
        Assert.Contains("<div class=\"verdict good\"", winning);
    }

    [Fact]
    public void The_score_table_has_every_row_in_order_with_every_metric_and_roc_auc_by_label()
    {
        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, BinaryEnsemble());
        var table = Regex.Match(page, "<table class=\"scores\">.*?</table>").Value;
        foreach (var metric in new[] { "accuracy", "precision", "recall", "f1", "roc_auc", "loss", "ROC-AUC positive" })
            Assert.Contains($">{metric}</th>", table);
        var names = Regex.Matches(table, "<tr class=\"([a-z-]+)\"><th>([^<]+)</th>").Select(m => m.Groups[2].Value).ToList();
        Assert.Equal(new[] { "ensemble", "hard-vote", Plain, "roberta-large", "tfidf-logreg" }, names);
        Assert.Contains("0.842", table);
        Assert.Contains("coordinate ascent on f1", page);
        Assert.Contains("positive class &#39;positive&#39;", page);
        Assert.Equal(5, Count(page, "<table class=\"confusion\""));
    }

    [Fact]
    public void A_multi_label_report_has_one_two_by_two_matrix_per_label_for_each_model()
    {
        var (status, trials) = Study();
        var ensemble = MultiLabelEnsemble();
        var page = StudyReportPage.Render(status, trials, ensemble);
        var matrices = Regex.Matches(page, "<table class=\"confusion\" data-model=\"([^\"]+)\" data-label=\"([^\"]+)\">(.*?)</table>");
        Assert.Equal(ensemble.Rows.Count * ensemble.ClassNames.Count, matrices.Count);
        foreach (var row in ensemble.Rows)
            Assert.Equal(ensemble.ClassNames.ToList(), matrices.Where(m => m.Groups[1].Value == row.Name).Select(m => m.Groups[2].Value).ToList());
        foreach (Match m in matrices)
        {
            var body = Regex.Match(m.Groups[3].Value, "<tbody>(.*)</tbody>").Groups[1].Value;
            Assert.Equal(2, Count(body, "<tr>"));
            Assert.Equal(4, Count(body, "<td "));
        }
        Assert.Contains("label &#39;threat&#39;", page);
    }

    [Fact]
    public void Without_an_ensemble_the_page_says_it_has_not_run_yet()
    {
        var (status, trials) = Study();
        var page = StudyReportPage.Render(status, trials, null);
        Assert.Contains("The ensemble has not run yet", page);
        Assert.DoesNotContain("class=\"verdict", page);
    }

    [Fact]
    public void Empty_and_degenerate_studies_render_without_charts_instead_of_throwing()
    {
        var (status, trials) = Study();
        var empty = StudyReportPage.Render(status, [], null);
        Assert.Equal(0, Count(empty, "<svg class=\"chart\""));
        Assert.Contains("no completed trial yet", empty);

        var noBackbones = StudyReportPage.Render(status with { Backbones = [] }, [], null);
        Assert.Contains("Trials by status", noBackbones);

        // Every value NaN: nothing completed counts, the reports draw nothing.
        var allNaN = trials.Select(t => t with { Value = double.NaN, IntermediateValues = t.IntermediateValues.Select(v => v with { Value = double.NaN }).ToList() }).ToList();
        var nan = StudyReportPage.Render(status, allNaN, null);
        Assert.Equal(0, Count(nan, "<svg class=\"chart\""));

        // One completed trial: history and parallel plot it; importances need three.
        var single = StudyReportPage.Render(status, [trials[0]], null);
        Assert.Equal(1, Count(single, "data-chart=\"history\""));
        Assert.Equal(1, Count(single, "data-chart=\"parallel\""));
        Assert.Equal(0, Count(single, "data-chart=\"importance\""));
        Assert.Contains("need at least 3 completed trials, have 1", single);
    }

    [Fact]
    public void Importances_are_absolute_rank_correlations_normalised_to_one()
    {
        Assert.Equal(1, ParameterImportance.Spearman([1, 2, 3, 4], [10, 20, 30, 1000]), 12);
        Assert.Equal(-1, ParameterImportance.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), 12);
        Assert.Equal(0, ParameterImportance.Spearman([1, 1, 1], [1, 2, 3]));

        var (_, trials) = Study();
        var completed = trials.Where(t => t.Backbone == Plain && t.Status == TrialState.Complete).ToList();
        var importances = ParameterImportance.Compute(completed);
        Assert.Equal(1, importances.Sum(i => i.Importance), 9);
        // Learning rate and weight decay rise with the value in this data; the scheduler barely does.
        Assert.Equal("scheduler", importances[^1].Parameter);
        Assert.Empty(ParameterImportance.Compute(completed.Take(2).ToList()));
    }

    // ---- the page in a real browser ----

    [Fact]
    public async Task Every_chart_is_drawn_by_a_headless_browser()
    {
        var (status, trials) = Study();
        using var dir = new TempDirectory();
        var path = dir.File("report.html", StudyReportPage.Render(status, trials, BinaryEnsemble()));

        var dom = await HeadlessChromium.DumpDom(path, dir.Path);

        var body = Regex.Match(dom, "<body[^>]*>");
        Assert.True(body.Success, $"no <body> in the dumped DOM:\n{dom[..Math.Min(dom.Length, 2000)]}");
        var drawn = Regex.Match(body.Value, "data-charts-drawn=\"(\\d+)\"");
        var total = Regex.Match(body.Value, "data-charts-total=\"(\\d+)\"");
        Assert.True(drawn.Success && total.Success, $"the page's chart check did not run: {body.Value}");
        Assert.Equal(4 * status.Backbones.Count, int.Parse(total.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(total.Groups[1].Value, drawn.Groups[1].Value);
    }
}

/// <summary>Debian's chromium in headless mode: loads a local page, runs its scripts, prints the resulting DOM.</summary>
internal static class HeadlessChromium
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<string> DumpDom(string htmlPath, string scratch)
    {
        var chromium = new[] { "chromium", "chromium-browser" }.Select(FindOnPath).FirstOrDefault(p => p is not null);
        Assert.True(chromium is not null,
            "chromium is not installed; this test drives a real browser. Install it: apt-get install -y --no-install-recommends chromium (.ci/run does this in CI).");

        var start = new ProcessStartInfo(chromium)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        // --no-sandbox: tests run as root in containers; a private profile keeps parallel runs apart;
        // the virtual time budget lets the load event and its script finish before the DOM is dumped.
        foreach (var arg in new[]
                 {
                     "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                     "--disable-extensions", "--disable-background-networking", $"--user-data-dir={Path.Combine(scratch, "chromium-profile")}",
                     "--virtual-time-budget=5000", "--dump-dom", new Uri(htmlPath).AbsoluteUri,
                 })
            start.ArgumentList.Add(arg);

        var ct = TestContext.Current.CancellationToken;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).WaitAsync(Timeout, ct);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"chromium did not finish in {Timeout.TotalSeconds} s; killed it. stderr:\n{Tail(await error)}");
        }
        var dom = await output;
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}:\n{Tail(await error)}");
        return dom;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);

    private static string Tail(string text) => text.Length <= 3000 ? text : text[^3000..];
}
