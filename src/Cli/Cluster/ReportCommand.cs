using System.CommandLine;
using System.Text.Json;
using SweepCluster.Cli.Reports;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.Storage;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep report ID --out FILE</c>: one self-contained HTML page of a study's trials and ensemble.</summary>
public static class ReportCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var output = new Option<string>("--out") { Description = "The HTML file to write.", HelpName = "FILE", Required = true };
        var artifacts = new Option<string?>("--artifacts")
        {
            Description = $"Artifacts folder holding ID/ensemble/ensemble.json (optional). Default: {ArtifactLayout.DefaultHelp}.",
            HelpName = "DIR",
        };
        var client = new ClusterClientOptions();
        var command = new Command("report", "Write an HTML report of a study: history, intermediate values, parameter importances, parallel coordinates per backbone, and the ensemble's scores.\nExit codes: 0 ok, 1 cluster or write error, 2 no such study or a bad ensemble.json.")
        {
            id, output, artifacts,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var studyId = parse.GetValue(id)!;
            var status = await StudyQueries.Status(connection.Grains, studyId);
            var trials = await StudyQueries.Trials(connection.Grains, studyId);
            var ensemble = StudyReportPage.LoadEnsemble(ArtifactLayout.EnsembleReport(ArtifactLayout.Root(parse.GetValue(artifacts)), studyId), out var problem);
            if (problem is not null) throw new UsageException(problem);
            io.Out.WriteLine(await StudyReportPage.WriteAsync(parse.GetValue(output)!, status, trials, ensemble, ct));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
