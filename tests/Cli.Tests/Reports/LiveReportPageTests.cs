using System.Text.RegularExpressions;
using SweepCluster.Cli.Tests.Cluster;

namespace SweepCluster.Cli.Tests.Reports;

/// <summary>
/// The silo serves each study's report page live on its HTTP port, beside /metrics: loaded in headless
/// Chromium from a real silo, before and after the study's trials ran.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class LiveReportPageTests
{
    /// <summary>The counts row of one backbone: waiting, leased, running, complete, pruned, failed, cancelled, budget (TrialStatus order).</summary>
    private static int[] Counts(string dom, string backbone)
    {
        var row = Regex.Match(dom, $"<tr><th>{backbone}</th>((?:<td>\\d+</td>)+)</tr>");
        Assert.True(row.Success, $"no counts row for {backbone}:\n{dom}");
        return Regex.Matches(row.Groups[1].Value, "\\d+").Select(m => int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    [Fact]
    public async Task The_silo_serves_a_live_report_page_per_study_that_shows_new_trials_on_a_later_load()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        var id = await cluster.Submit(cluster.WriteStudy("page", LocalCluster.SimulatedStudy("page", ["distilbert"], trials: 4, maxParallel: 2, steps: 3, stepSeconds: 0.01)), "page-1");
        var metricsPort = cluster.Silos[0].MetricsPort;
        var url = $"http://127.0.0.1:{metricsPort}/studies/{id}/report";
        using var scratch = new TempDirectory();

        // No worker yet: two trials created and waiting, none finished.
        var before = await HeadlessChromium.DumpDom(url, scratch.Path);
        Assert.Contains($"Study page <span class=\"id\">{id}</span>", before);
        Assert.Contains("0 of 4 finished", before);
        Assert.Equal([2, 0, 0, 0, 0, 0, 0, 4], Counts(before, "distilbert"));
        Assert.Matches("<meta http-equiv=\"refresh\" content=\"10\">", before); // it reloads itself

        cluster.StartWorker("w1");
        await cluster.WaitUntilFinished(id);
        var after = await HeadlessChromium.DumpDom(url, scratch.Path);
        Assert.Contains("4 of 4 finished", after);
        var counts = Counts(after, "distilbert");
        Assert.Equal(4, counts[3] + counts[4] + counts[5]); // complete + pruned + failed: every trial ran
        Assert.Equal(0, counts[0]);

        // The index links every study to its page; an unknown study is a 404.
        var index = await HeadlessChromium.DumpDom($"http://127.0.0.1:{metricsPort}/studies", scratch.Path);
        Assert.Contains($"<a href=\"/studies/{id}/report\">{id}</a>", index);
        using var http = new HttpClient();
        var missing = await http.GetAsync($"http://127.0.0.1:{metricsPort}/studies/nope/report", TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
    }
}
