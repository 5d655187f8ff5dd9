using ScottPlot;

namespace SweepCluster.Bench.Hpo;

/// <summary>
/// The pruning benchmark as a picture: one panel per (curve family, folds) cell, each pruner row a point at
/// (epochs saved %, best final true value against no pruning %), with ± 1 SE bars and the issue-12 goal region
/// (≥ 50% saved, ≤ +1%) shaded. Points in the shaded box meet the goal. Drawn with ScottPlot.
/// </summary>
internal sealed class PruningPlot
{
    private readonly List<(string Cell, string Pruner, double Saved, double Change, double Se)> _points = [];

    public void Add(string cell, string pruner, double savedPercent, double changePercent, double sePercent) =>
        _points.Add((cell, pruner, savedPercent, changePercent, sePercent));

    /// <summary>Writes a PNG of 2 columns of panels, 560 × 420 pixels each.</summary>
    public void Save(string path)
    {
        var cells = _points.Select(p => p.Cell).Distinct().ToList();
        var multiplot = new Multiplot();
        multiplot.AddPlots(cells.Count);
        var columns = Math.Min(2, cells.Count);
        var rows = (cells.Count + columns - 1) / columns;
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Grid(rows, columns);
        for (var c = 0; c < cells.Count; c++)
        {
            var plot = multiplot.GetPlot(c);
            var goal = plot.Add.Rectangle(50, 100, -100, 1);
            goal.FillStyle.Color = Colors.Green.WithAlpha(0.12);
            goal.LineStyle.Width = 0;
            foreach (var point in _points.Where(p => p.Cell == cells[c]))
            {
                var colour = point.Pruner.StartsWith("extrapolating", StringComparison.Ordinal) ? Colors.FireBrick
                    : point.Pruner.StartsWith("median", StringComparison.Ordinal) ? Colors.SteelBlue
                    : point.Pruner.StartsWith("percentile", StringComparison.Ordinal) ? Colors.DarkOrange : Colors.Black;
                var bar = plot.Add.ErrorBar(new[] { point.Saved }, new[] { point.Change }, new[] { point.Se });
                bar.LineColor = colour.WithAlpha(0.5);
                var marker = plot.Add.Marker(point.Saved, point.Change, MarkerShape.FilledCircle, 6, colour);
                var label = plot.Add.Text(Short(point.Pruner), point.Saved + 0.8, point.Change);
                label.LabelFontSize = 9;
                label.LabelFontColor = colour;
                _ = marker;
            }
            plot.Title(cells[c]);
            plot.XLabel("epochs saved (%)");
            plot.YLabel("best final vs no pruning (%), lower is better");
            var ys = _points.Where(p => p.Cell == cells[c]).SelectMany(p => new[] { p.Change - p.Se, p.Change + p.Se }).ToList();
            plot.Axes.SetLimits(-2, 100, Math.Min(-3, ys.Min() - 1), Math.Min(30, ys.Max() + 1));
        }
        multiplot.SavePng(path, 560 * columns, 420 * rows);
    }

    /// <summary>"extrapolating_w10 (completed folds)" → "x w10 cf": short enough to sit beside a point.</summary>
    private static string Short(string pruner)
    {
        var name = pruner.Replace("extrapolating", "x").Replace("median", "m").Replace("percentile", "p")
            .Replace(", as before (raw steps)", " raw").Replace(" (running mean)", " rm").Replace(" (current fold)", " cf")
            .Replace(" (completed folds)", " done").Replace("_", " ");
        return name;
    }
}
