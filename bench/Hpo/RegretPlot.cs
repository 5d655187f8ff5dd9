using ScottPlot;

namespace SweepCluster.Bench.Hpo;

/// <summary>
/// Mean regret (best true value so far − the known optimum, log₁₀ axis) against trials, one panel per suite
/// function and one line per sampler of ours, shaded ± 1 SE over seeds where given; Optuna 3.1 TPE's stored means
/// after 25, 50 and 100 trials are black open circles. Drawn with ScottPlot (PNG).
/// </summary>
internal sealed class RegretPlot
{
    private const int Columns = 4, PanelWidth = 380, PanelHeight = 300;

    /// <summary>Regret below this (an optimum hit to rounding) is drawn at it, so the log axis stays finite.</summary>
    private const double RegretFloor = 1e-6;

    private static readonly Dictionary<string, Color> Colours = new()
    {
        ["tpe"] = Colors.SteelBlue, ["tpe_mv"] = Colors.FireBrick, ["random"] = Colors.Gray, ["gp"] = Colors.ForestGreen,
    };

    private readonly List<(string Function, double Optimum, string Sampler, double[] MeanBest, double[]? StandardError)> _series = [];
    private readonly List<(string Function, double Optimum, string Sampler, IReadOnlyDictionary<int, double> Means)> _optuna = [];

    /// <param name="meanBest">Mean best true value after 1, 2, … trials (index = trials − 1).</param>
    /// <param name="standardError">Its standard error over seeds at each trial count, or null for no band.</param>
    public void Add(string function, double optimum, string sampler, double[] meanBest, double[]? standardError = null) =>
        _series.Add((function, optimum, sampler, meanBest, standardError));

    /// <summary>Optuna 3.1's mean best after the given trial counts for one of its samplers (the suite's stored figures).</summary>
    public void AddOptuna(string function, double optimum, string sampler, IReadOnlyDictionary<int, double> meanBestAfter)
    {
        if (meanBestAfter.Count > 0) _optuna.Add((function, optimum, sampler, meanBestAfter));
    }

    /// <summary>Writes a PNG, <see cref="Columns"/> panels across, <see cref="PanelWidth"/> × <see cref="PanelHeight"/> pixels each.</summary>
    public void Save(string path)
    {
        var functions = _series.Select(s => s.Function).Distinct().ToList();
        var columns = Math.Min(Columns, functions.Count);
        var rows = (functions.Count + columns - 1) / columns;
        // A free grid cell, if any, holds the legend alone; otherwise it goes in the first panel.
        var legendPanel = rows * columns > functions.Count;
        var multiplot = new Multiplot();
        multiplot.AddPlots(functions.Count + (legendPanel ? 1 : 0));
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        var legend = new List<LegendItem>();
        static double Log(double regret) => Math.Log10(Math.Max(regret, RegretFloor));
        for (var f = 0; f < functions.Count; f++)
        {
            var plot = multiplot.GetPlot(f);
            foreach (var s in _series.Where(s => s.Function == functions[f]))
            {
                var colour = Colours.GetValueOrDefault(s.Sampler, Colors.Black);
                var xs = Enumerable.Range(1, s.MeanBest.Length).Select(t => (double)t).ToArray();
                if (s.StandardError is { } se)
                {
                    var band = plot.Add.FillY(xs,
                        s.MeanBest.Select((v, i) => Log(v - se[i] - s.Optimum)).ToArray(),
                        s.MeanBest.Select((v, i) => Log(v + se[i] - s.Optimum)).ToArray());
                    band.FillColor = colour.WithAlpha(0.15);
                    band.LineWidth = 0;
                }
                var line = plot.Add.ScatterLine(xs, s.MeanBest.Select(v => Log(v - s.Optimum)).ToArray(), colour);
                line.LineWidth = 2;
                if (legend.All(l => l.LabelText != s.Sampler))
                    legend.Add(new LegendItem { LabelText = s.Sampler, LineColor = colour, LineWidth = 2 });
            }
            foreach (var optuna in _optuna.Where(o => o.Function == functions[f]))
            {
                var trials = optuna.Means.Keys.OrderBy(t => t).ToArray();
                var markers = plot.Add.Markers(trials.Select(t => (double)t).ToArray(),
                    trials.Select(t => Log(optuna.Means[t] - optuna.Optimum)).ToArray(), MarkerShape.OpenCircle, 9,
                    Colours.GetValueOrDefault(optuna.Sampler, Colors.Black));
                if (legend.All(l => l.LabelText != $"Optuna 3.1 {optuna.Sampler}"))
                    legend.Add(new LegendItem
                    {
                        LabelText = $"Optuna 3.1 {optuna.Sampler}", MarkerShape = MarkerShape.OpenCircle, MarkerSize = 9,
                        MarkerLineColor = markers.Color, LineWidth = 0,
                    });
            }
            // Whole decades only when the panel spans two or more; otherwise ScottPlot's own steps, so every panel has labels.
            var logs = _series.Where(s => s.Function == functions[f]).SelectMany(s => s.MeanBest.Select(v => Log(v - s.Optimum))).ToList();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                IntegerTicksOnly = logs.Max() - logs.Min() >= 2,
                LabelFormatter = Label,
            };
            plot.Title(functions[f], size: 13);
            plot.XLabel("trials", size: 11);
            plot.YLabel("regret (log scale)", size: 11);
        }
        var legendHolder = multiplot.GetPlot(legendPanel ? functions.Count : 0);
        if (legendPanel)
        {
            legendHolder.Layout.Frameless();
            legendHolder.HideGrid();
        }
        legendHolder.Legend.ManualItems.AddRange(legend);
        legendHolder.Legend.FontSize = 14;
        legendHolder.ShowLegend(legendPanel ? Alignment.MiddleCenter : Alignment.LowerLeft);
        multiplot.SavePng(path, PanelWidth * columns, PanelHeight * rows);
    }

    /// <summary>A log₁₀ tick as a regret: 1e±k beyond [10⁻³, 10⁴), whole numbers from 100, else three significant digits.</summary>
    private static string Label(double log10)
    {
        var value = Math.Pow(10, log10);
        var format = value >= 100 ? "0" : "G3";
        return value is >= 1e4 or < 1e-3 ? $"1e{log10:0.#}" : value.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
    }
}
