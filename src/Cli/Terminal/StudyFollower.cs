using SweepCluster.Cli.Rendering;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Terminal;

/// <summary>
/// Follows a study until it stops running, as `sweep watch` and `sweep up --until-done` do: the live view on a
/// terminal; otherwise one line per change (for logs, pipes and tests), then the per-backbone table on stdout.
/// </summary>
public static class StudyFollower
{
    /// <summary>
    /// Polls every <paramref name="interval"/> until the study stops running and returns its last status. Without a
    /// terminal, each change is one line on <paramref name="lines"/> (stdout for `watch`, stderr for `up`, whose
    /// stdout carries the study id and results): "HH:mm:ss ID: STATE F/B, stage S · BACKBONE=F/B best=V … · ETA T".
    /// A change is anything but the time and the ETA, which move on every poll; an unchanged study is printed again
    /// every <see cref="Heartbeat"/>.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (Ctrl-C, SIGTERM).</exception>
    public static async Task<StudyStatus> Run(CliIO io, StudyStatus first, Func<Task<StudyStatus>> poll, TimeSpan interval, TextWriter lines, CancellationToken cancellationToken)
    {
        if (io.Terminal.IsTerminal) return await LiveView.Run(io, first, poll, interval, cancellationToken);
        var status = first;
        var last = "";
        var printed = DateTime.MinValue;
        while (true)
        {
            var line = Line(status);
            // A change, or every HeartbeatSeconds without one, so a long epoch still shows the ETA moving.
            if (line != last || DateTime.UtcNow - printed >= Heartbeat)
            {
                lines.WriteLine($"{DateTime.Now:HH:mm:ss} {line} · ETA {StudyRendering.Duration(status.Eta)}");
                printed = DateTime.UtcNow;
            }
            last = line;
            if (status.State != StudyState.Running) break;
            await Task.Delay(interval, cancellationToken);
            status = await poll();
        }
        StudyRendering.Console(io).Write(StudyRendering.StatusTable(status));
        return status;
    }

    /// <summary>How often an unchanged study is printed again without a terminal (30 s).</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A post-search job's state, and while a worker holds it what the worker says it is doing and how far it is
    /// ("training 40%"), so a long final retrain does not read "leased" until it ends.
    /// </summary>
    private static string StageJob(StudyStatus status, JobKind kind, string? backbone, TrialState state)
    {
        var word = state.ToWire();
        var view = status.Running.FirstOrDefault(v => v.Kind == kind && (backbone is null || v.Backbone == backbone));
        if (view?.Progress is not { } p) return word;
        return p.Fraction is double done && done > 0
            ? $"{p.Phase} {(done * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture)}%"
            : p.Phase;
    }

    /// <summary>One status as a line, without time or ETA.</summary>
    internal static string Line(StudyStatus status)
    {
        var stages = string.Concat(status.Backbones.Where(b => b.FinalStatus is not null)
                         .Select(b => $" {b.Backbone}:final {StageJob(status, JobKind.FinalRetrain, b.Backbone, b.FinalStatus!.Value)}"))
                     + (status.EnsembleStatus is { } e ? $" ensemble {StageJob(status, JobKind.Ensemble, null, e)}" : "");
        return $"{status.StudyId}: {status.State.ToString().ToLowerInvariant()} {status.Finished}/{status.Budget}, stage {status.Stage}{stages} · " +
               string.Join(" ", status.Backbones.Select(b => $"{b.Backbone}={b.Finished}/{b.Budget} best={StudyRendering.Number(b.BestValue)}"));
    }
}
