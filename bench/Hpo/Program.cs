using System.Diagnostics;
using System.Globalization;
using SweepCluster.Bench.Hpo;
using SweepCluster.Search;
using SweepCluster.Search.Sampling;
using SweepCluster.Search.Space;
using SweepCluster.Search.Synthetic;

// The sampler/pruner benchmark of ../shared/bench/hpo/SUITE.md, printed beside Optuna 3.1.0's figures.
//   dotnet run -c Release --project bench/Hpo -- [quality|scaling|pruning|all] [--seeds N] [--trials N] [--scaling-trials N] [--pruning-seeds N] [--folds 1,3]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var mode = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "all";
int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
var seeds = Option("--seeds", 20);
var trials = Option("--trials", 100);
var scalingTrials = Option("--scaling-trials", 1000);
var functionFilter = args.SkipWhile(a => a != "--functions").Skip(1).FirstOrDefault()?.Split(',');
var tpeArgument = args.SkipWhile(a => a != "--tpe").Skip(1).FirstOrDefault();
BenchmarkRuns.Tpe = TpeOverrides.Parse(tpeArgument);
BenchmarkRuns.FunctionFilter = functionFilter;
BenchmarkRuns.SamplerFilter = args.SkipWhile(a => a != "--samplers").Skip(1).FirstOrDefault()?.Split(',');
if (tpeArgument is not null) Console.WriteLine($"TPE options: {BenchmarkRuns.Tpe}");

Console.WriteLine($"# SweepCluster HPO benchmark — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
Console.WriteLine();
var plotPath = args.SkipWhile(a => a != "--plot").Skip(1).FirstOrDefault() ?? "hpo-quality.svg";
if (mode is "quality" or "all") BenchmarkRuns.Quality(seeds, trials, plotPath);
if (mode is "scaling" or "all") BenchmarkRuns.Scaling(scalingTrials);
var pruningFolds = (args.SkipWhile(a => a != "--folds").Skip(1).FirstOrDefault() ?? "1,3").Split(',').Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToArray();
if (mode is "pruning" or "all") BenchmarkRuns.Pruning(Option("--pruning-seeds", Math.Min(seeds, 10)), trials, pruningFolds);

/// <summary>Experiment knobs: --tpe "NEiCandidates=64,OmitKernelScale=false".</summary>
internal static class TpeOverrides
{
    public static SweepCluster.Search.Tpe.TpeOptions Parse(string? text)
    {
        var options = new SweepCluster.Search.Tpe.TpeOptions();
        if (string.IsNullOrWhiteSpace(text)) return options;
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = (pair.Split('=')[0].Trim(), pair.Split('=')[1].Trim());
            var property = typeof(SweepCluster.Search.Tpe.TpeOptions).GetProperty(key) ?? throw new ArgumentException($"unknown TPE option '{key}'");
            var converted = Convert.ChangeType(value, Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType, CultureInfo.InvariantCulture);
            options = options with { };
            property.SetValue(options, converted);
        }
        return options;
    }
}

internal static class BenchmarkRuns
{
    public static SweepCluster.Search.Tpe.TpeOptions Tpe { get; set; } = new();
    public static string[]? FunctionFilter { get; set; }
    public static string[]? SamplerFilter { get; set; }

    private static readonly (string Name, SamplerKind Kind)[] Samplers =
    [
        ("tpe", SamplerKind.Tpe), ("tpe_mv", SamplerKind.TpeMultivariate), ("random", SamplerKind.Random),
    ];

    public static void Quality(int seeds, int trials, string plotPath)
    {
        var plot = new RegretPlot();
        Console.WriteLine($"## Best value found (minimisation), {seeds} seeds x {trials} trials: mean / median after 25, 50, 100; Optuna's mean after 100 beside ours");
        Console.WriteLine();
        Console.WriteLine("| function | sampler | after 25 | after 50 | after 100 | Optuna after 100 (mean) | ours ≤ Optuna? | ask ms/trial @~100 | Optuna sampler ms @~100 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var function in SuiteFunctions.All.Where(f => FunctionFilter is null || FunctionFilter.Contains(f.Name)))
        {
            foreach (var (samplerName, kind) in Samplers.Where(s => SamplerFilter is null || SamplerFilter.Contains(s.Name)))
            {
                var results = new (double[] BestAt, double AskMsLate)[seeds];
                Parallel.For(0, seeds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
                    seed => results[seed] = RunStudy(function, kind, seed, trials));
                var checkpoints = new[] { 25, 50, 100 }.Where(c => c <= trials).ToArray();
                var cells = checkpoints.Select(c => Summary(results.Select(r => r.BestAt[c - 1]))).ToList();
                while (cells.Count < 3) cells.Add("–");
                // Optuna's reference has checkpoints 25, 50 and 100; compare at the last one this run reached.
                var checkpoint = checkpoints.Length == 0 ? trials : checkpoints[^1];
                var ours100 = results.Select(r => r.BestAt[checkpoint - 1]).Average();
                var optuna = OptunaReference.MeanBestAfter(function.Name, samplerName, checkpoint);
                // The spread of best-of-N over seeds is wide, so say how many standard errors a shortfall is.
                var finals = results.Select(r => r.BestAt[checkpoint - 1]).ToArray();
                var standardError = Math.Sqrt(finals.Select(v => (v - ours100) * (v - ours100)).Sum() / Math.Max(1, finals.Length - 1) / finals.Length);
                var verdict = optuna is double o
                    ? (ours100 <= o ? "yes" : $"no (+{ours100 - o:G3} = {(ours100 - o) / standardError:F1} SE)")
                    : "–";
                var optunaMs = OptunaReference.SamplerMsPerTrial(function.Name, samplerName);
                var meanCurve = Enumerable.Range(0, trials).Select(i => results.Average(r => r.BestAt[i])).ToArray();
                var optunaMarkers = new[] { 25, 50, 100 }.Where(c => c <= trials)
                    .Select(c => (c, OptunaReference.MeanBestAfter(function.Name, samplerName, c)))
                    .Where(p => p.Item2 is not null).ToDictionary(p => p.c, p => p.Item2!.Value);
                plot.Add(function.Name, function.KnownOptimum, samplerName, meanCurve, optunaMarkers);
                Console.WriteLine($"| {function.Name} | {samplerName} | {cells[0]} | {cells[1]} | {cells[2]} | {Fmt(optuna)} | {verdict} | {results.Average(r => r.AskMsLate):F3} | {Fmt(optunaMs)} |");
            }
        }
        Console.WriteLine();
        plot.Save(plotPath);
        Console.WriteLine($"Plot: {Path.GetFullPath(plotPath)} (mean regret vs trials, Optuna's means as circles)");
        Console.WriteLine();
    }

    private static (double[] BestAt, double AskMsLate) RunStudy(SuiteFunction function, SamplerKind kind, int seed, int trials)
    {
        var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(function.SpaceJson),
            Sampler: new SamplerSettings { Kind = kind, Tpe = Tpe }, Seed: seed));
        var bestAt = new double[trials];
        var bestObserved = double.PositiveInfinity;
        var incumbentTrue = double.PositiveInfinity;
        double lateAskMs = 0;
        var lateCount = 0;
        for (var i = 0; i < trials; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var trial = search.Ask();
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (i >= 90 && i < 100) { lateAskMs += elapsed; lateCount++; }
            var trueValue = function.Evaluate(trial.Params);
            var observed = function.Observe?.Invoke(trial.Params, (ulong)seed, (ulong)i) ?? trueValue;
            search.Tell(trial.Number, new TrialOutcome.Completed(observed));
            if (observed < bestObserved)
            {
                bestObserved = observed;
                incumbentTrue = trueValue;
            }
            bestAt[i] = incumbentTrue;
        }
        return (bestAt, lateCount == 0 ? double.NaN : lateAskMs / lateCount);
    }

    public static void Scaling(int trials)
    {
        var function = SuiteFunctions.All.First(f => f.Name == "hartmann6");
        var windows = new[] { 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000 }.Where(n => n <= trials).ToArray();
        Console.WriteLine($"## Sampler cost vs. number of trials (hartmann6, seed 0, {trials} trials): ask ms/trial over the 50 trials ending at N");
        Console.WriteLine();
        Console.WriteLine("| sampler | " + string.Join(" | ", windows.Select(n => $"N={n}")) + " | total wall s | Optuna N=1000 |");
        Console.WriteLine("|---|" + string.Join("", windows.Select(_ => "---|")) + "---|---|");
        foreach (var (name, kind) in Samplers.Where(s => s.Kind != SamplerKind.Random))
        {
            var search = HyperparameterSearch.Create(new SearchSettings(SearchSpace.FromJson(function.SpaceJson),
                Sampler: new SamplerSettings { Kind = kind, Tpe = Tpe }, Seed: 0));
            var askMs = new double[trials];
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < trials; i++)
            {
                var start = Stopwatch.GetTimestamp();
                var trial = search.Ask();
                askMs[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                search.Tell(trial.Number, new TrialOutcome.Completed(function.Evaluate(trial.Params)));
            }
            var cells = windows.Select(n => askMs.Skip(n - 50).Take(50).Average().ToString("F2", CultureInfo.InvariantCulture));
            Console.WriteLine($"| {name} | {string.Join(" | ", cells)} | {wall.Elapsed.TotalSeconds:F1} | {Fmt(OptunaReference.ScalingMsPerTrial(name, 1000))} |");
        }
        Console.WriteLine();
    }

    /// <summary>The pruning benchmark, 1 and 3 folds by default (--folds 1,3); see PruningBenchmark.</summary>
    public static void Pruning(int seeds, int trials, IReadOnlyList<int> folds) =>
        PruningBenchmark.Run(seeds, trials, folds, PruningBenchmark.DefaultRows, Tpe);

    private static string Summary(IEnumerable<double> values)
    {
        var list = values.ToList();
        return $"{FmtValue(list.Average())} / {FmtValue(Median(list))}";
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
    }

    private static string FmtValue(double v) => Math.Abs(v) >= 1000 ? v.ToString("0.000e+00", CultureInfo.InvariantCulture) : v.ToString("F4", CultureInfo.InvariantCulture);

    private static string Fmt(double? v) => v is double d ? FmtValue(d) : "–";
}
