using System.Globalization;
using SweepCluster.Search;
using SweepCluster.Search.Pruning;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Synthetic;

namespace SweepCluster.Bench.Hpo;

/// <summary>
/// The pruning benchmark on k-fold trials (issue 12): TPE on SUITE.md §5's learning curves, each trial
/// reporting 30 epochs of each of k folds (fold f at <see cref="ReportPosition"/> (f, epoch)); its objective is
/// the mean over folds of the last epoch's value, its true value the noiseless y_30. Per pruner: epochs used,
/// and the true value of the trial the study would pick (best objective), against no pruning.
/// </summary>
internal static class PruningBenchmark
{
    public const int Epochs = LearningCurves.Steps;

    /// <summary>A pruner row: either settings for the search's own pruner or a pruner judged outside it.</summary>
    public sealed record Row(string Name, PrunerSettings Settings, IPruner? Outside = null);

    public static IReadOnlyList<Row> DefaultRows { get; } =
    [
        new("none", new PrunerSettings()),
        new("median, as before (raw steps)", new PrunerSettings(), new RawStepPercentilePruner(50, 5, 0)),
        new("median_w5, as before (raw steps)", new PrunerSettings(), new RawStepPercentilePruner(50, 5, 5)),
        new("median (current fold)", new PrunerSettings { Kind = PrunerKind.Median, FoldRule = FoldRule.CurrentFold }),
        new("median (running mean)", new PrunerSettings { Kind = PrunerKind.Median }),
        new("median_w5 (running mean)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 5 }),
        new("median_w10 (running mean)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 10 }),
        new("median_w20 (running mean)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 20 }),
        new("median_w10_s10 (running mean)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 10, NStartupTrials = 10 }),
        new("median (completed folds)", new PrunerSettings { Kind = PrunerKind.Median, FoldRule = FoldRule.CompletedFolds }),
        new("median_w10 (completed folds)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 10, FoldRule = FoldRule.CompletedFolds }),
        new("median_w20 (completed folds)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 20, FoldRule = FoldRule.CompletedFolds }),
        new("median_w30 (completed folds)", new PrunerSettings { Kind = PrunerKind.Median, NWarmupSteps = 30, FoldRule = FoldRule.CompletedFolds }),
        new("percentile 75 (running mean)", new PrunerSettings { Kind = PrunerKind.Percentile, Percentile = 75 }),
        new("extrapolating_w5 (current fold)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 5, FoldRule = FoldRule.CurrentFold }),
        new("extrapolating_w5 (running mean)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 5 }),
        new("extrapolating_w7 (running mean)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 7 }),
        new("extrapolating_w7 (completed folds)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 7, FoldRule = FoldRule.CompletedFolds }),
        new("extrapolating_w10 (current fold)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 10, FoldRule = FoldRule.CurrentFold }),
        new("extrapolating_w10 (running mean)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 10 }),
        new("extrapolating_w5 (completed folds)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 5, FoldRule = FoldRule.CompletedFolds }),
        new("extrapolating_w10 (completed folds)", new PrunerSettings { Kind = PrunerKind.Extrapolating, NWarmupSteps = 10, FoldRule = FoldRule.CompletedFolds }),
    ];

    public static void Run(int seeds, int trials, IReadOnlyList<int> foldCounts, IReadOnlyList<Row> rows, Search.Tpe.TpeOptions tpe,
        string plotPath = "hpo-pruning.png")
    {
        var plot = new PruningPlot();
        foreach (var family in LearningCurves.Families)
        foreach (var folds in foldCounts)
        {
            Console.WriteLine($"## Pruning, `{family}` curves, {folds} fold(s) x {Epochs} epochs, TPE, {seeds} seeds x {trials} trials");
            Console.WriteLine();
            Console.WriteLine("| pruner | epochs used mean (min-max) | epochs saved | best final (true) mean ± s.e. / median | vs none ± s.e. | pruned trials mean |");
            Console.WriteLine("|---|---|---|---|---|---|");
            Result[]? none = null;
            foreach (var row in rows)
            {
                var perSeed = new Result[seeds];
                Parallel.For(0, seeds, seed => perSeed[seed] = RunOne(family, folds, row, seed, trials, tpe));
                none ??= perSeed;
                var full = (double)Epochs * folds * trials;
                var meanTrue = perSeed.Average(r => r.BestTrue);
                var noneTrue = none.Average(r => r.BestTrue);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {row.Name} | {perSeed.Average(r => r.Epochs):F0} ({perSeed.Min(r => r.Epochs)}-{perSeed.Max(r => r.Epochs)}) "
                    + $"| {100 * (1 - perSeed.Average(r => r.Epochs) / full):F0}% | {meanTrue:F4} ± {StandardError(perSeed):F4} / {Median(perSeed.Select(r => r.BestTrue)):F4} "
                    + $"| {100 * (meanTrue / noneTrue - 1):+0.0;-0.0;0.0}% ± {100 * Math.Sqrt(Math.Pow(StandardError(perSeed), 2) + Math.Pow(StandardError(none), 2)) / noneTrue:F1}% | {perSeed.Average(r => r.Pruned):F1} |"));
                plot.Add($"{family}, {folds} fold(s)", row.Name, 100 * (1 - perSeed.Average(r => r.Epochs) / full), 100 * (meanTrue / noneTrue - 1),
                    100 * Math.Sqrt(Math.Pow(StandardError(perSeed), 2) + Math.Pow(StandardError(none), 2)) / noneTrue);
            }
            Console.WriteLine();
        }
        plot.Save(plotPath);
        Console.WriteLine($"Plot: {Path.GetFullPath(plotPath)} (epochs saved vs best final against no pruning; the goal region shaded)");
    }

    private sealed record Result(double BestTrue, int Epochs, int Pruned);

    private static Result RunOne(string family, int folds, Row row, int seed, int trials, Search.Tpe.TpeOptions tpe)
    {
        var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(LearningCurves.SpaceJson),
            Sampler: new SamplerSettings { Tpe = tpe }, Pruner: row.Settings, Seed: seed));
        int epochs = 0, pruned = 0;
        double bestObserved = double.PositiveInfinity, bestTrue = double.PositiveInfinity;
        for (var i = 0; i < trials; i++)
        {
            var trial = search.Ask();
            var lr = Convert.ToDouble(trial.Params["lr"], CultureInfo.InvariantCulture);
            var reg = Convert.ToDouble(trial.Params["reg"], CultureInfo.InvariantCulture);
            var momentum = Convert.ToDouble(trial.Params["momentum"], CultureInfo.InvariantCulture);
            var stopped = false;
            var sumOfFinals = 0.0;
            for (var fold = 0; fold < folds && !stopped; fold++)
            {
                for (var t = 1; t <= Epochs; t++)
                {
                    epochs++;
                    var value = LearningCurves.Observed(family, lr, reg, momentum, (ulong)seed, (ulong)i, t, fold, folds);
                    var prune = search.Report(trial.Number, ReportPosition.Of(fold, t).Step, value);
                    if (row.Outside is not null) prune = row.Outside.ShouldPrune(search.Trials, search.Trials[trial.Number], StudyDirection.Minimize);
                    if (prune)
                    {
                        search.Tell(trial.Number, new TrialOutcome.Pruned());
                        pruned++;
                        stopped = true;
                        break;
                    }
                    if (t == Epochs) sumOfFinals += value;
                }
            }
            if (stopped) continue;
            var objective = sumOfFinals / folds;
            search.Tell(trial.Number, new TrialOutcome.Completed(objective));
            if (objective < bestObserved)
            {
                bestObserved = objective;
                bestTrue = LearningCurves.Noiseless(family, lr, reg, momentum, Epochs);
            }
        }
        return new Result(bestTrue, epochs, pruned);
    }

    /// <summary>Standard error of the mean best true value over seeds (runs are independent, not paired).</summary>
    private static double StandardError(Result[] runs)
    {
        var mean = runs.Average(r => r.BestTrue);
        return Math.Sqrt(runs.Sum(r => (r.BestTrue - mean) * (r.BestTrue - mean)) / (runs.Length - 1) / runs.Length);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }
}

/// <summary>
/// The percentile pruner as it was before issue 12, kept only to measure against: it compares raw steps
/// (1000·fold + epoch), warms up on the raw step, and takes "best so far" over every fold's reports.
/// </summary>
internal sealed class RawStepPercentilePruner(double percentile, int nStartupTrials, int nWarmupSteps) : IPruner
{
    public bool ShouldPrune(IReadOnlyList<TrialRecord> trials, TrialRecord trial, StudyDirection direction)
    {
        var completed = trials.Where(t => t.State == TrialState.Complete).ToList();
        if (completed.Count == 0 || completed.Count < nStartupTrials) return false;
        if (trial.LastReport is not { } last || last.Step < nWarmupSteps) return false;
        var bestSoFar = trial.IntermediateValues.Values.Where(v => !double.IsNaN(v)).Select(v => direction.AsLoss(v)).DefaultIfEmpty(double.NaN).Min();
        if (double.IsNaN(bestSoFar)) return true;
        var atStep = new List<double>();
        foreach (var t in completed)
            if (t.IntermediateValues.TryGetValue(last.Step, out var v)) atStep.Add(direction.AsLoss(v));
        if (atStep.Count == 0) return false;
        var threshold = PercentilePruner.PercentileOf(atStep, percentile);
        return !double.IsNaN(threshold) && bestSoFar > threshold;
    }
}
