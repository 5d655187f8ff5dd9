using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Rendering;

/// <summary>How studies and trials look on a terminal; shared by status, watch, best and trials.</summary>
public static class StudyRendering
{
    /// <summary>
    /// A Spectre console on <paramref name="io"/>'s stdout that follows the real terminal: colour, width
    /// (read at each render, so a resized terminal re-flows) and cursor control when it is one; plain
    /// text at <see cref="TerminalInfo.PlainWidth"/> columns when piped or redirected.
    /// </summary>
    public static IAnsiConsole Console(CliIO io) => Console(io.Out, io.Terminal);

    /// <summary><see cref="Console(CliIO)"/> for any writer and terminal description.</summary>
    public static IAnsiConsole Console(TextWriter writer, TerminalInfo terminal) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new TerminalOutput(writer, terminal),
        // Cursor movement (the live view) needs ANSI even when colour is off (NO_COLOR asks for no colour, not no redraw).
        Ansi = terminal.IsTerminal ? AnsiSupport.Yes : AnsiSupport.No,
        ColorSystem = terminal.Color ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        Interactive = terminal.IsTerminal ? InteractionSupport.Yes : InteractionSupport.No,
    });

    /// <summary>
    /// Spectre's own output decides "terminal?" and width by comparing the writer with Console.Out, which
    /// our UTF-8 writer never is; this one answers from <see cref="TerminalInfo"/>.
    /// </summary>
    private sealed class TerminalOutput(TextWriter writer, TerminalInfo terminal) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;
        public bool IsTerminal => terminal.IsTerminal;
        public int Width => terminal.Width;
        public int Height => 40; // only Live's vertical overflow uses it; our views are a screen or less
        public void SetEncoding(System.Text.Encoding encoding) { }
    }

    public static string Number(double? value) => value is double v ? v.ToString("G5", CultureInfo.InvariantCulture) : "-";

    public static string Params(IReadOnlyDictionary<string, object>? parameters) => parameters is null
        ? "-"
        : string.Join(", ", parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={Value(p.Value)}"));

    public static string Value(object? value) => value switch
    {
        double d => d.ToString("G4", CultureInfo.InvariantCulture),
        float f => f.ToString("G4", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        null => "",
        _ => value.ToString() ?? "",
    };

    public static string Duration(TimeSpan? span) => span switch
    {
        null => "-",
        { TotalHours: >= 1 } s => $"{(int)s.TotalHours}h{s.Minutes:00}m",
        { TotalMinutes: >= 1 } s => $"{(int)s.TotalMinutes}m{s.Seconds:00}s",
        { } s => $"{s.TotalSeconds:0.0}s",
    };

    /// <summary>
    /// The per-backbone table of a study: progress bar, counts by status, best so far. Laid out for the
    /// width it is rendered at (a terminal's, a live view's after a resize, or the plain width when piped),
    /// so it wraps or moves columns and never overruns or cuts.
    /// </summary>
    public static IRenderable StatusTable(StudyStatus status) => new FittedStatusTable(status);

    /// <summary>
    /// Widths below which the table gives up something: the parameter lists move under the table (they
    /// are the widest cell), then the bar shortens, then the five count columns become one.
    /// </summary>
    internal const int ParamsInTableWidth = 140, LongBarWidth = 110, CountColumnsWidth = 90;

    private sealed class FittedStatusTable(StudyStatus status) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => ((IRenderable)Build(maxWidth)).Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => ((IRenderable)Build(maxWidth)).Render(options, maxWidth);

        private Rows Build(int width)
        {
            var paramsInTable = width >= ParamsInTableWidth;
            var countColumns = width >= CountColumnsWidth;
            var bar = width >= LongBarWidth ? 20 : 10;
            var table = new Table().Border(TableBorder.Rounded)
                .Title($"{Markup.Escape(status.StudyId)} · {status.State.ToString().ToLowerInvariant()} · {status.Metric} ({status.Direction.ToString().ToLowerInvariant()})");
            table.AddColumn("backbone");
            table.AddColumn("progress");
            // Cancelled trials get a column only when there are some, so the counts add up to the finished/budget
            // figure after `sweep cancel` without widening every other table.
            var anyCancelled = status.Backbones.Any(b => b.Count(TrialState.Cancelled) > 0);
            TrialState[] statuses = [TrialState.Waiting, TrialState.Running, TrialState.Complete, TrialState.Pruned, TrialState.Failed, .. anyCancelled ? [TrialState.Cancelled] : Array.Empty<TrialState>()];
            if (countColumns)
                foreach (var s in statuses) table.AddColumn(new TableColumn(s.ToWire()).RightAligned());
            else table.AddColumn("trials");
            table.AddColumn(new TableColumn("best").RightAligned());
            if (paramsInTable) table.AddColumn("best params");
            var staged = status.Backbones.Any(b => b.FinalStatus is not null);
            if (staged) table.AddColumn(new TableColumn(paramsInTable ? "final (held-out)" : "final").RightAligned());
            foreach (var b in status.Backbones)
            {
                // "waiting" counts every trial not started (waiting, or not yet created); "running" leased and running ones.
                var counts = statuses.Select(state => state switch
                {
                    TrialState.Waiting => b.Pending,
                    TrialState.Running => b.Count(TrialState.Leased) + b.Count(TrialState.Running),
                    _ => b.Count(state),
                }).ToArray();
                var cells = new List<IRenderable> { new Text(b.Backbone), ProgressBar(b.Finished, b.Budget, bar) };
                if (countColumns) cells.AddRange(counts.Select(n => new Text(n.ToString(CultureInfo.InvariantCulture))));
                else cells.Add(new Text(string.Join(", ", statuses.Zip(counts).Where(p => p.Second > 0).Select(p => $"{p.Second} {p.First.ToWire()}")) is { Length: > 0 } c ? c : "-"));
                cells.Add(new Text(Number(b.BestValue)));
                if (paramsInTable) cells.Add(new Text(Params(b.BestParams)));
                if (staged) cells.Add(new Text(Stage(b.FinalStatus, b.FinalValue)));
                table.AddRow(cells);
            }
            var ensemble = status.EnsembleStatus is null ? "" : $" · ensemble {Stage(status.EnsembleStatus, status.EnsembleValue)}";
            table.Caption($"{status.Finished}/{status.Budget} trials finished · stage {status.Stage}{ensemble} · ETA {Duration(status.Eta)}");
            var rows = new List<IRenderable> { table };
            // Under the table, one wrapped paragraph per backbone: parameter lists read whole instead of a narrow column.
            if (!paramsInTable)
                rows.AddRange(status.Backbones.Where(b => b.BestParams is not null).Select(b => new Text($"{b.Backbone} best params: {Params(b.BestParams)}")));
            return new Rows(rows);
        }
    }

    /// <summary>A post-search job's state: its status, and its held-out value once complete.</summary>
    private static string Stage(TrialState? status, double? value) => status switch
    {
        null => "-",
        TrialState.Complete => Number(value),
        _ => status.Value.ToWire(),
    };

    /// <summary>A text progress bar ("████░░░░ 12/30"): renders the same in a live view, a pipe and a test.</summary>
    public static IRenderable ProgressBar(int done, int total, int width = 20)
    {
        var filled = total == 0 ? width : (int)Math.Round(width * Math.Min(1.0, (double)done / total));
        return new Text($"{new string('█', filled)}{new string('░', width - filled)} {done}/{total}");
    }
}
