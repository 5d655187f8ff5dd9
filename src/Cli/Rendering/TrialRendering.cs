using System.Globalization;
using System.Text.Json;
using SweepCluster.Contracts.Trials;
using SweepCluster.Training.Data;
using SweepCluster.Search.Sampling;

namespace SweepCluster.Cli.Rendering;

/// <summary>Trials as the verbs print them: JSON (`trials`, `enqueue --json`, `retry --json`), CSV, one line per new trial.</summary>
public static class TrialRendering
{
    /// <summary>A trial as `trials --format json`, `enqueue --json` and `retry --json` print it.</summary>
    internal static object Json(TrialView t) => new
    {
        study = t.StudyId, backbone = t.Backbone, number = t.Number, status = t.Status.ToWire(), value = t.Value,
        @params = t.Params, intermediate_values = t.IntermediateValues.ToDictionary(v => v.Step.ToString(CultureInfo.InvariantCulture), v => v.Value),
        attempts = t.Attempts, lease_owner = t.LeaseOwner, error = t.Error, created_utc = t.CreatedUtc, started_utc = t.StartedUtc, finished_utc = t.FinishedUtc,
        duration_seconds = t.Duration?.TotalSeconds, origin = t.Origin,
    };

    /// <summary>
    /// One row per trial, one column per parameter (the union over trials), quoted as pandas writes CSV
    /// (<see cref="DelimitedFile.Format"/>). Times are UTC in ISO 8601 (round-trip "O" format), as in the JSON, and
    /// <c>started_utc</c> is the last attempt's start (Optuna's trials_dataframe has datetime_start and datetime_complete).
    /// </summary>
    public static string Csv(IReadOnlyList<TrialView> trials)
    {
        var names = trials.SelectMany(t => t.Params.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var header = new[] { "backbone", "number", "status", "value", "steps", "attempts", "started_utc", "finished_utc", "duration_seconds", "error" }.Concat(names.Select(n => "param_" + n)).ToList();
        var rows = trials.Select(t =>
        {
            var cells = new List<string>
            {
                t.Backbone, t.Number.ToString(CultureInfo.InvariantCulture), t.Status.ToWire(),
                t.Value?.ToString("R", CultureInfo.InvariantCulture) ?? "", t.IntermediateValues.Count.ToString(CultureInfo.InvariantCulture),
                t.Attempts.ToString(CultureInfo.InvariantCulture), Time(t.StartedUtc), Time(t.FinishedUtc), t.Duration?.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) ?? "", t.Error ?? "",
            };
            cells.AddRange(names.Select(n => t.Params.TryGetValue(n, out var v) ? StudyRendering.Value(v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : v) : ""));
            return (IReadOnlyList<string>)cells;
        });
        return DelimitedFile.Format(header, rows);
    }

    private static string Time(DateTime? utc) => utc?.ToString("O", CultureInfo.InvariantCulture) ?? "";

    /// <summary>New trials as JSON (as `sweep trials`), or one line each: "study/backbone/N  verb  params".</summary>
    internal static void PrintCreated(CliIO io, IReadOnlyList<TrialView> trials, bool json, string verb)
    {
        if (json)
        {
            io.Out.WriteLine(JsonSerializer.Serialize(trials.Select(Json), CliJson.Options));
            return;
        }
        if (trials.Count == 0) io.Out.WriteLine($"nothing {verb}");
        foreach (var t in trials) io.Out.WriteLine($"{t.Key}  {t.Origin ?? verb}  {StudyRendering.Params(t.Params)}");
    }
}
