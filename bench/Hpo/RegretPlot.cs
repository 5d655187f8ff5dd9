using System.Globalization;
using System.Text;

namespace SweepCluster.Bench.Hpo;

/// <summary>
/// One SVG with a panel per suite function: mean regret (best so far − known optimum, log scale) against
/// trials for each of our samplers, with Optuna's mean after 25/50/100 trials as markers of the same colour.
/// </summary>
internal sealed class RegretPlot
{
    private const int PanelWidth = 300, PanelHeight = 210, Columns = 4, Margin = 42;
    private static readonly Dictionary<string, string> Colours = new() { ["tpe"] = "#1f77b4", ["tpe_mv"] = "#d62728", ["random"] = "#7f7f7f" };

    private readonly List<(string Function, double Optimum, string Sampler, double[] MeanBest, IReadOnlyDictionary<int, double> Optuna)> _series = [];

    public void Add(string function, double optimum, string sampler, double[] meanBest, IReadOnlyDictionary<int, double> optuna) =>
        _series.Add((function, optimum, sampler, meanBest, optuna));

    public void Save(string path)
    {
        var functions = _series.Select(s => s.Function).Distinct().ToList();
        var rows = (functions.Count + Columns - 1) / Columns;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns='http://www.w3.org/2000/svg' width='{Columns * PanelWidth}' height='{rows * PanelHeight + 30}' font-family='sans-serif' font-size='11'>");
        svg.Append("<rect width='100%' height='100%' fill='white'/>");
        var legendX = 10;
        foreach (var (name, colour) in Colours)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1='{legendX}' y1='15' x2='{legendX + 20}' y2='15' stroke='{colour}' stroke-width='2'/><text x='{legendX + 24}' y='19'>{name} (ours)</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx='{legendX + 110}' cy='15' r='3.5' fill='white' stroke='{colour}' stroke-width='1.5'/><text x='{legendX + 117}' y='19'>Optuna 3.1</text>");
            legendX += 210;
        }
        for (var f = 0; f < functions.Count; f++)
        {
            var x0 = f % Columns * PanelWidth + Margin;
            var y0 = f / Columns * PanelHeight + 30 + 18;
            var width = PanelWidth - Margin - 12;
            var height = PanelHeight - 48;
            var series = _series.Where(s => s.Function == functions[f]).ToList();
            var regrets = series.SelectMany(s => s.MeanBest.Select(v => v - s.Optimum).Concat(s.Optuna.Values.Select(v => v - s.Optimum)))
                .Where(r => r > 0).ToList();
            var top = Math.Ceiling(Math.Log10(regrets.Max()));
            var bottom = Math.Floor(Math.Log10(Math.Max(regrets.Min(), 1e-6)));
            if (top <= bottom) top = bottom + 1;
            var trials = series.Max(s => s.MeanBest.Length);
            double X(double trial) => x0 + width * (trial - 1) / Math.Max(1, trials - 1);
            double Y(double regret) => y0 + height * (top - Math.Log10(Math.Max(regret, Math.Pow(10, bottom)))) / (top - bottom);

            svg.Append(CultureInfo.InvariantCulture, $"<text x='{x0}' y='{y0 - 6}' font-weight='bold'>{functions[f]}: regret vs trials</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x='{x0}' y='{y0}' width='{width}' height='{height}' fill='none' stroke='#999'/>");
            for (var decade = bottom; decade <= top; decade++)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<line x1='{x0}' x2='{x0 + width}' y1='{Y(Math.Pow(10, decade)):F1}' y2='{Y(Math.Pow(10, decade)):F1}' stroke='#eee'/>");
                svg.Append(CultureInfo.InvariantCulture, $"<text x='{x0 - 4}' y='{Y(Math.Pow(10, decade)) + 4:F1}' text-anchor='end'>1e{decade}</text>");
            }
            foreach (var tick in new[] { 1, 25, 50, 75, 100 }.Where(t => t <= trials))
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x='{X(tick):F1}' y='{y0 + height + 13}' text-anchor='middle'>{tick}</text>");
            }
            foreach (var s in series)
            {
                var colour = Colours.GetValueOrDefault(s.Sampler, "black");
                var points = string.Join(" ", s.MeanBest.Select((v, i) => $"{X(i + 1):F1},{Y(v - s.Optimum):F1}"));
                svg.Append(CultureInfo.InvariantCulture, $"<polyline fill='none' stroke='{colour}' stroke-width='1.8' points='{points}'/>");
                foreach (var (after, value) in s.Optuna)
                {
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx='{X(after):F1}' cy='{Y(value - s.Optimum):F1}' r='3.5' fill='white' stroke='{colour}' stroke-width='1.5'/>");
                }
            }
        }
        svg.Append("</svg>");
        File.WriteAllText(path, svg.ToString());
    }
}
