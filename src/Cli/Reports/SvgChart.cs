using System.Globalization;
using System.Net;
using System.Text;

namespace SweepCluster.Cli.Reports;

/// <summary>A linear map from data values to pixels; a zero-width domain is widened so one point still plots.</summary>
public sealed record LinearScale
{
    public double DomainMin { get; }
    public double DomainMax { get; }
    public double RangeStart { get; }
    public double RangeEnd { get; }

    public LinearScale(double domainMin, double domainMax, double rangeStart, double rangeEnd)
    {
        if (!double.IsFinite(domainMin) || !double.IsFinite(domainMax)) (domainMin, domainMax) = (0, 1);
        if (domainMax - domainMin < 1e-12)
        {
            var pad = Math.Abs(domainMin) > 1e-12 ? Math.Abs(domainMin) * 0.05 : 0.5;
            (domainMin, domainMax) = (domainMin - pad, domainMax + pad);
        }
        (DomainMin, DomainMax, RangeStart, RangeEnd) = (domainMin, domainMax, rangeStart, rangeEnd);
    }

    public double Map(double value) => RangeStart + (value - DomainMin) / (DomainMax - DomainMin) * (RangeEnd - RangeStart);

    /// <summary>About <paramref name="count"/> round tick values (steps of 1, 2 or 5 × 10^k) inside the domain.</summary>
    public IReadOnlyList<double> Ticks(int count = 5, bool integersOnly = false)
    {
        var rough = (DomainMax - DomainMin) / Math.Max(1, count);
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => s >= rough);
        if (integersOnly) step = Math.Max(1, Math.Round(step));
        var ticks = new List<double>();
        for (var t = Math.Ceiling(DomainMin / step) * step; t <= DomainMax + step * 1e-9; t += step)
            ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
        return ticks;
    }
}

/// <summary>
/// The one SVG plotting helper every report chart uses: a titled plot area with x/y scales, axes with
/// ticks, and data marks (polylines, points, × markers, bars). Data marks carry class "mark" so the
/// page's check can tell a drawn chart from an empty frame.
/// </summary>
public sealed class SvgChart
{
    public const int Width = 560;
    public const int Height = 320;
    private const double Left = 64, Right = 20, Bottom = 48;

    private readonly string _kind;
    private readonly string _title;
    private readonly StringBuilder _body = new();

    public LinearScale X { get; private set; }
    public LinearScale Y { get; private set; }

    public double PlotLeft => LeftMargin;
    public double PlotRight => Width - Right;
    public double PlotTop { get; }
    public double PlotBottom => Height - Bottom;

    /// <param name="kind">The data-chart attribute: history, intermediate, importance or parallel.</param>
    /// <param name="leftMargin">Room left of the plot for tick or bar labels.</param>
    /// <param name="topMargin">Room above the plot for the title (and for labels drawn above it).</param>
    public SvgChart(string kind, string title, double xMin = 0, double xMax = 1, double yMin = 0, double yMax = 1, double leftMargin = Left, double topMargin = 36)
    {
        _kind = kind;
        _title = title;
        LeftMargin = leftMargin;
        PlotTop = topMargin;
        X = new LinearScale(xMin, xMax, leftMargin, Width - Right);
        Y = new LinearScale(yMin, yMax, Height - Bottom, topMargin);
    }

    private double LeftMargin { get; }

    /// <summary>A y domain padded by 5% each side, so dots on the extremes are not cut by the frame.</summary>
    public static (double Min, double Max) Padded(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToList();
        if (finite.Count == 0) return (0, 1);
        var (min, max) = (finite.Min(), finite.Max());
        var pad = (max - min) * 0.05;
        return (min - pad, max + pad);
    }

    public static string Number(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Px(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Bottom and left axes with tick marks, tick labels and axis titles.</summary>
    public SvgChart Axes(string xLabel, string yLabel, bool integerX = false, Func<double, string>? formatX = null)
    {
        _body.Append($"""<g class="axis"><line x1="{Px(LeftMargin)}" y1="{Px(PlotBottom)}" x2="{Px(PlotRight)}" y2="{Px(PlotBottom)}"/>""");
        _body.Append($"""<line x1="{Px(LeftMargin)}" y1="{Px(PlotTop)}" x2="{Px(LeftMargin)}" y2="{Px(PlotBottom)}"/>""");
        foreach (var t in X.Ticks(6, integerX))
        {
            var x = X.Map(t);
            _body.Append($"""<line x1="{Px(x)}" y1="{Px(PlotBottom)}" x2="{Px(x)}" y2="{Px(PlotBottom + 5)}"/>""");
            _body.Append($"""<text x="{Px(x)}" y="{Px(PlotBottom + 18)}" text-anchor="middle">{Encode((formatX ?? Number)(t))}</text>""");
        }
        foreach (var t in Y.Ticks(5))
        {
            var y = Y.Map(t);
            _body.Append($"""<line x1="{Px(LeftMargin - 5)}" y1="{Px(y)}" x2="{Px(LeftMargin)}" y2="{Px(y)}"/>""");
            _body.Append($"""<line class="grid" x1="{Px(LeftMargin)}" y1="{Px(y)}" x2="{Px(PlotRight)}" y2="{Px(y)}"/>""");
            _body.Append($"""<text x="{Px(LeftMargin - 8)}" y="{Px(y + 4)}" text-anchor="end">{Encode(Number(t))}</text>""");
        }
        _body.Append($"""<text class="axis-title" x="{Px((LeftMargin + PlotRight) / 2)}" y="{Px(Height - 10)}" text-anchor="middle">{Encode(xLabel)}</text>""");
        _body.Append($"""<text class="axis-title" x="14" y="{Px((PlotTop + PlotBottom) / 2)}" text-anchor="middle" transform="rotate(-90 14 {Px((PlotTop + PlotBottom) / 2)})">{Encode(yLabel)}</text>""");
        _body.Append("</g>");
        return this;
    }

    /// <summary>
    /// A line through data points, in order, clipped to the plot area (a value outside the y domain, e.g. a
    /// diverged loss, must not draw over the axes or the next chart).
    /// </summary>
    public SvgChart Polyline(IEnumerable<(double X, double Y)> points, string color, double strokeWidth = 1.5, string? tooltip = null, double opacity = 1)
    {
        var coordinates = string.Join(" ", points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => $"{Px(X.Map(p.X))},{Px(Y.Map(p.Y))}"));
        if (coordinates.Length == 0) return this;
        _clipped = true;
        _body.Append($"""<polyline class="mark" clip-path="url(#{ClipId})" fill="none" stroke="{color}" stroke-width="{Px(strokeWidth)}" stroke-opacity="{Px(opacity)}" points="{coordinates}">{Tooltip(tooltip)}</polyline>""");
        return this;
    }

    private bool _clipped;
    private static int _clipCounter;
    private readonly int _clipNumber = Interlocked.Increment(ref _clipCounter);

    /// <summary>The id of this chart's plot-area clip path; unique in a page that holds many charts.</summary>
    private string ClipId => $"plot-{_kind}-{_clipNumber}";

    /// <summary>A staircase through the points: each value holds until the next x (a best-so-far line).</summary>
    public SvgChart StepLine(IReadOnlyList<(double X, double Y)> points, string color, double strokeWidth = 2)
    {
        var steps = new List<(double X, double Y)>();
        for (var i = 0; i < points.Count; i++)
        {
            if (i > 0) steps.Add((points[i].X, points[i - 1].Y));
            steps.Add(points[i]);
        }
        return Polyline(steps, color, strokeWidth);
    }

    public SvgChart Point(double x, double y, string color, double radius = 3.5, string? tooltip = null)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return this;
        _body.Append($"""<circle class="mark" cx="{Px(X.Map(x))}" cy="{Px(Y.Map(y))}" r="{Px(radius)}" fill="{color}">{Tooltip(tooltip)}</circle>""");
        return this;
    }

    /// <summary>An × marker (drawn as a path) at a data point.</summary>
    public SvgChart Cross(double x, double y, string color, double size = 5, string? tooltip = null)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y)) return this;
        var (cx, cy) = (X.Map(x), Y.Map(y));
        _body.Append($"""<path class="mark cross" stroke="{color}" stroke-width="2" d="M{Px(cx - size)},{Px(cy - size)}L{Px(cx + size)},{Px(cy + size)}M{Px(cx - size)},{Px(cy + size)}L{Px(cx + size)},{Px(cy - size)}">{Tooltip(tooltip)}</path>""");
        return this;
    }

    /// <summary>One horizontal bar per label, from 0 to its value on the x scale, labels left of the plot.</summary>
    public SvgChart HorizontalBars(IReadOnlyList<(string Label, double Value)> bars, string color)
    {
        if (bars.Count == 0) return this;
        var band = (PlotBottom - PlotTop) / bars.Count;
        for (var i = 0; i < bars.Count; i++)
        {
            var top = PlotTop + i * band;
            var width = Math.Max(0, X.Map(double.IsFinite(bars[i].Value) ? bars[i].Value : 0) - LeftMargin);
            _body.Append($"""<rect class="mark" x="{Px(LeftMargin)}" y="{Px(top + band * 0.15)}" width="{Px(width)}" height="{Px(band * 0.7)}" fill="{color}">{Tooltip($"{bars[i].Label}: {Number(bars[i].Value)}")}</rect>""");
            _body.Append($"""<text x="{Px(LeftMargin - 8)}" y="{Px(top + band / 2 + 4)}" text-anchor="end">{Encode(bars[i].Label)}</text>""");
            _body.Append($"""<text x="{Px(LeftMargin + width + 4)}" y="{Px(top + band / 2 + 4)}">{Encode(Number(bars[i].Value))}</text>""");
        }
        return this;
    }

    /// <summary>A bottom axis only (for bar charts, whose categories label themselves).</summary>
    public SvgChart BottomAxis(string label)
    {
        _body.Append($"""<g class="axis"><line x1="{Px(LeftMargin)}" y1="{Px(PlotBottom)}" x2="{Px(PlotRight)}" y2="{Px(PlotBottom)}"/>""");
        _body.Append($"""<line x1="{Px(LeftMargin)}" y1="{Px(PlotTop)}" x2="{Px(LeftMargin)}" y2="{Px(PlotBottom)}"/>""");
        foreach (var t in X.Ticks(5))
        {
            var x = X.Map(t);
            _body.Append($"""<line x1="{Px(x)}" y1="{Px(PlotBottom)}" x2="{Px(x)}" y2="{Px(PlotBottom + 5)}"/>""");
            _body.Append($"""<text x="{Px(x)}" y="{Px(PlotBottom + 18)}" text-anchor="middle">{Encode(Number(t))}</text>""");
        }
        _body.Append($"""<text class="axis-title" x="{Px((LeftMargin + PlotRight) / 2)}" y="{Px(Height - 10)}" text-anchor="middle">{Encode(label)}</text></g>""");
        return this;
    }

    /// <summary>A vertical axis at data x (parallel coordinates): its name below, max at the top and min at the bottom.</summary>
    public SvgChart VerticalAxis(double x, string name, string minLabel, string maxLabel)
    {
        var px = X.Map(x);
        _body.Append($"""<g class="axis"><line x1="{Px(px)}" y1="{Px(PlotTop)}" x2="{Px(px)}" y2="{Px(PlotBottom)}"/>""");
        _body.Append($"""<text x="{Px(px)}" y="{Px(PlotTop - 6)}" text-anchor="middle">{Encode(maxLabel)}</text>""");
        _body.Append($"""<text x="{Px(px)}" y="{Px(PlotBottom + 14)}" text-anchor="middle">{Encode(minLabel)}</text>""");
        _body.Append($"""<text class="axis-title" x="{Px(px)}" y="{Px(PlotBottom + 30)}" text-anchor="middle">{Encode(name)}</text></g>""");
        return this;
    }

    /// <summary>A small colour key in the top-right corner.</summary>
    public SvgChart Legend(params (string Label, string Color)[] entries)
    {
        var y = PlotTop + 4;
        // A light backdrop keeps the key readable where data runs under it.
        _body.Append($"""<rect class="legend-box" x="{Px(PlotRight - 126)}" y="{Px(PlotTop - 6)}" width="124" height="{Px(entries.Length * 16 + 4)}" fill="#fff" fill-opacity="0.85"/>""");
        foreach (var (label, color) in entries)
        {
            _body.Append($"""<g class="legend"><line x1="{Px(PlotRight - 120)}" y1="{Px(y)}" x2="{Px(PlotRight - 104)}" y2="{Px(y)}" stroke="{color}" stroke-width="3"/>""");
            _body.Append($"""<text x="{Px(PlotRight - 100)}" y="{Px(y + 4)}">{Encode(label)}</text></g>""");
            y += 16;
        }
        return this;
    }

    private static string Tooltip(string? text) => text is null ? "" : $"<title>{Encode(text)}</title>";

    public override string ToString() =>
        $"""<svg class="chart" data-chart="{_kind}" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}" role="img" aria-label="{Encode(_title)}">""" +
        (_clipped ? $"""<defs><clipPath id="{ClipId}"><rect x="{Px(PlotLeft)}" y="{Px(PlotTop)}" width="{Px(PlotRight - PlotLeft)}" height="{Px(PlotBottom - PlotTop)}"/></clipPath></defs>""" : "") +
        $"""<title>{Encode(_title)}</title><text class="chart-title" x="{Width / 2}" y="20" text-anchor="middle">{Encode(_title)}</text>{_body}</svg>""";
}
