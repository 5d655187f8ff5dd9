using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;

namespace SweepCluster.Silo;

/// <summary>
/// Renders a study's report page. The silo does not own the renderer (it lives with `sweep report`, which
/// also reads the ensemble's artifacts); the host that starts the silo hands it one, so the page served
/// live and the file `sweep report` writes are the same page.
/// </summary>
public interface IStudyReportRenderer
{
    /// <summary>The whole HTML page; with <paramref name="refreshSeconds"/> set, one that reloads itself that often.</summary>
    string Render(StudyStatus status, IReadOnlyList<TrialView> trials, int? refreshSeconds);
}

/// <summary>
/// GET /studies (an index) and GET /studies/{id}/report (the report page, reloading every
/// <see cref="RefreshSeconds"/>) on the silo's HTTP port beside /metrics, bound to the same address.
/// </summary>
public static class StudyReportEndpoints
{
    /// <summary>How often a served page reloads itself, in seconds: about a trial's epoch on the simulated workloads, and cheap for the silo.</summary>
    public const int RefreshSeconds = 10;

    /// <summary>The index's path; a study's page is <c>/studies/{id}/report</c>.</summary>
    public const string IndexPath = "/studies";

    /// <summary>The path of one study's live report page.</summary>
    public static string ReportPath(string studyId) => $"{IndexPath}/{Uri.EscapeDataString(studyId)}/report";

    /// <summary>Maps both routes; answers 404 for a study that does not exist.</summary>
    public static void MapStudyReports(this WebApplication app, IStudyReportRenderer renderer)
    {
        app.MapGet(IndexPath, async (IGrainFactory grains) =>
        {
            var studies = await grains.GetGrain<IStudyDirectoryGrain>(0).List();
            return Results.Content(Index(studies), "text/html; charset=utf-8");
        });
        app.MapGet(IndexPath + "/{id}/report", async (string id, IGrainFactory grains) =>
        {
            var study = grains.GetGrain<IStudyGrain>(id);
            try
            {
                var status = await study.GetStatus();
                var trials = await study.GetTrials();
                return Results.Content(renderer.Render(status, trials, RefreshSeconds), "text/html; charset=utf-8");
            }
            catch (KeyNotFoundException)
            {
                return Results.NotFound($"no study '{id}'");
            }
        });
    }

    private static string Index(IReadOnlyList<StudySummary> studies)
    {
        var html = new StringBuilder();
        html.Append($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"{RefreshSeconds}\">");
        html.Append("<title>SweepCluster studies</title><style>body{font-family:system-ui,sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}</style></head><body>\n");
        html.Append("<h1>Studies</h1>\n<table><tr><th>study</th><th>name</th><th>state</th><th>created (UTC)</th></tr>\n");
        foreach (var s in studies.OrderByDescending(s => s.CreatedUtc))
            html.Append($"<tr><td><a href=\"{E(ReportPath(s.StudyId))}\">{E(s.StudyId)}</a></td><td>{E(s.Name)}</td><td>{s.State.ToString().ToLowerInvariant()}</td>" +
                        $"<td>{s.CreatedUtc:yyyy-MM-dd HH:mm:ss}</td></tr>\n");
        if (studies.Count == 0) html.Append("<tr><td colspan=\"4\">no study yet</td></tr>\n");
        html.Append("</table></body></html>\n");
        return html.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
