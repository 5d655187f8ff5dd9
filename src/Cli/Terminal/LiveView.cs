using SweepCluster.Cli.Rendering;
using SweepCluster.Search.Sampling;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;
using SweepCluster.Studies;

namespace SweepCluster.Cli.Terminal;

/// <summary>
/// The live view of one study on a terminal, shared by <c>sweep watch</c> and <c>sweep up --until-done</c>:
/// the per-backbone table (<see cref="StudyRendering.StatusTable"/>) and, under it, the trials running now
/// with their stage, fold, epoch, loss, samples/s, best value so far and ETA. Redrawn in place by
/// Spectre.Console's live display; every table is laid out for the terminal's width at each redraw.
/// </summary>
public static class LiveView
{
    /// <summary>
    /// Draws <paramref name="status"/>, then polls every <paramref name="delay"/> and redraws until the study
    /// stops running; returns its last status. The last frame stays on screen.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (Ctrl-C).</exception>
    public static async Task<StudyStatus> Run(CliIO io, StudyStatus status, Func<Task<StudyStatus>> poll, TimeSpan delay, CancellationToken cancellationToken)
    {
        await StudyRendering.Console(io).Live(Frame(status)).StartAsync(async live =>
        {
            while (status.State == StudyState.Running)
            {
                await Task.Delay(delay, cancellationToken);
                status = await poll();
                live.UpdateTarget(Frame(status));
            }
        });
        return status;
    }

    /// <summary>One frame: the per-backbone table, then the running trials (a line saying none when idle).</summary>
    public static IRenderable Frame(StudyStatus status) => new Rows(StudyRendering.StatusTable(status), RunningTrials(status, DateTime.UtcNow));

    /// <summary>Running trials shown at most, so the view stays within a screen.</summary>
    internal const int MaxRows = 12;

    /// <summary>Below this width the samples/s and best columns go (the rest still fits 80 columns).</summary>
    internal const int AllColumnsWidth = 96;

    /// <summary>The trials running now, one row each, laid out for the width it is rendered at.</summary>
    public static IRenderable RunningTrials(StudyStatus status, DateTime nowUtc) => new FittedRunningTable(status, nowUtc);

    private sealed class FittedRunningTable(StudyStatus status, DateTime nowUtc) : IRenderable
    {
        public Measurement Measure(RenderOptions options, int maxWidth) => Build(maxWidth).Measure(options, maxWidth);

        public IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => Build(maxWidth).Render(options, maxWidth);

        private IRenderable Build(int width)
        {
            if (status.Running.Count == 0) return new Text(status.State == StudyState.Running ? "no trial running" : "");
            var all = width >= AllColumnsWidth;
            var table = new Table().Border(TableBorder.Rounded).Title("running now");
            table.AddColumn("trial");
            table.AddColumn("stage");
            table.AddColumn(new TableColumn("fold").RightAligned());
            table.AddColumn(new TableColumn("epoch").RightAligned());
            table.AddColumn(new TableColumn("loss").RightAligned());
            if (all) table.AddColumn(new TableColumn("samples/s").RightAligned());
            if (all) table.AddColumn(new TableColumn("best").RightAligned());
            table.AddColumn(new TableColumn("ETA").RightAligned());
            // A screen, not a log: with many workers the longest-running trials show and the rest are counted.
            var shown = status.Running.OrderBy(t => t.StartedUtc ?? DateTime.MaxValue).Take(MaxRows)
                .OrderBy(t => t.Backbone, StringComparer.Ordinal).ThenBy(t => t.Number).ToList();
            if (status.Running.Count > shown.Count) table.Caption($"and {status.Running.Count - shown.Count} more running");
            foreach (var t in shown)
            {
                var p = t.Progress;
                var cells = new List<string>
                {
                    Name(t), Stage(t),
                    p is null ? "-" : $"{p.Fold + 1}/{p.Folds}",
                    p is null ? "-" : EpochCell(p),
                    StudyRendering.Number(p?.Loss),
                };
                if (all) cells.Add(p?.SamplesPerSecond is double s ? s.ToString("0.#", CultureInfo.InvariantCulture) : "-");
                if (all) cells.Add(StudyRendering.Number(Best(t, status.Direction)));
                cells.Add(StudyRendering.Duration(Eta(t, nowUtc)));
                table.AddRow(cells.Select(c => new Text(c)).ToArray());
            }
            return table;
        }
    }

    /// <summary>Epochs done of all, with the running epoch's share once the worker sends one ("1.4/3"); "1/3" at an epoch's end.</summary>
    internal static string EpochCell(TrialProgress p)
    {
        var done = p.EpochFraction > 0 ? (p.Epoch + Math.Min(p.EpochFraction, 0.9)).ToString("0.#", CultureInfo.InvariantCulture) : p.Epoch.ToString(CultureInfo.InvariantCulture);
        return p.Epochs > 0 ? $"{done}/{p.Epochs}" : done;
    }

    /// <summary>"backbone/#" for a search trial; the job's name ("distilbert final", "ensemble") for post-search jobs.</summary>
    private static string Name(TrialView t) => t.Kind switch
    {
        JobKind.SearchTrial => $"{t.Backbone}/{t.Number}",
        JobKind.FinalRetrain => $"{t.Backbone} final",
        _ => "ensemble",
    };

    /// <summary>
    /// What the worker says it is doing ("training"), after the study stage for post-search jobs ("final
    /// retrain: training"); a search trial's stage is the caption's, and leaving it out keeps 100 columns.
    /// </summary>
    internal static string Stage(TrialView t)
    {
        var stage = t.Kind switch
        {
            JobKind.SearchTrial => null,
            JobKind.FinalRetrain => "final retrain",
            _ => "ensemble",
        };
        var phase = t.Progress?.Phase ?? (t.Status == TrialState.Leased ? "starting" : null);
        return (stage, phase) switch
        {
            (null, null) => "search",
            (null, _) => phase,
            (_, null) => stage,
            _ => $"{stage}: {phase}",
        };
    }

    /// <summary>The trial's best intermediate value so far, in the study's direction; null before its first report.</summary>
    internal static double? Best(TrialView t, StudyDirection direction)
    {
        var values = t.IntermediateValues.Select(v => v.Value).Where(v => !double.IsNaN(v)).ToList();
        if (values.Count == 0) return null;
        return direction == StudyDirection.Maximize ? values.Max() : values.Min();
    }

    /// <summary>
    /// Time left for one trial: the time it has run so far × (epochs left ÷ epochs done), from its last progress
    /// (folds × epochs in all). Null before the first epoch ends or when the number of epochs is unknown.
    /// </summary>
    internal static TimeSpan? Eta(TrialView t, DateTime nowUtc) =>
        t.StartedUtc is { } started ? t.Progress?.Remaining(started, nowUtc) : null;
}
