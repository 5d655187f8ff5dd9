using System.Net;
using System.Text.RegularExpressions;
using SweepCluster.Cli.Tests.Cluster;

namespace SweepCluster.Cli.Tests.Reports;

/// <summary>`sweep report` against a real silo and simulated worker, as a user runs it.</summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class StudyReportCommandTests
{
    [Fact]
    public async Task Report_writes_a_finished_studys_page_with_its_ensemble_and_an_unknown_id_exits_2()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = new LocalCluster();
        await cluster.StartSilo();
        cluster.StartWorker("w0");
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("report", ["distilbert", "roberta"], trials: 5, maxParallel: 2, steps: 4, stepSeconds: 0.01, pruner: "none"));
        var id = await cluster.Submit(file, "report-demo");
        await cluster.WaitUntilFinished(id, 120);

        var artifacts = Path.Combine(cluster.Directory, "artifacts");
        var output = Path.Combine(cluster.Directory, "out", "report.html");
        var printed = await Sweep.Ok("report", id, "--out", output, "--artifacts", artifacts, "--cluster", cluster.Address);
        Assert.Equal(output, printed.Trim());
        var page = await File.ReadAllTextAsync(output, ct);
        Assert.Contains("The ensemble has not run yet", page);
        foreach (var kind in new[] { "history", "intermediate", "importance", "parallel" })
            Assert.Equal(2, Regex.Matches(page, $"data-chart=\"{kind}\"").Count);

        // Once the ensemble step has written its report, the page shows it.
        var ensembleFolder = Directory.CreateDirectory(Path.Combine(artifacts, id, "ensemble")).FullName;
        await File.WriteAllTextAsync(Path.Combine(ensembleFolder, "ensemble.json"), StudyReportPageTests.BinaryEnsemble().ToJson(), ct);
        await Sweep.Ok("report", id, "--out", output, "--artifacts", artifacts, "--cluster", cluster.Address);
        page = await File.ReadAllTextAsync(output, ct);
        Assert.Contains(WebUtility.HtmlEncode(StudyReportPageTests.BinaryVerdict), page);

        var (exitCode, _, error) = await Sweep.Run("report", "no-such-study", "--out", output, "--cluster", cluster.Address);
        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("no-such-study", error);
    }
}
