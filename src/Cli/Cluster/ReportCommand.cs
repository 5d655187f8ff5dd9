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
            Description = "Artifacts folder holding ID/ensemble/ensemble.json (optional). Default: $SWEEP_ARTIFACTS, else ./artifacts.",
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
            var ensemble = LoadEnsemble(ArtifactLayout.EnsembleReport(ArtifactLayout.Root(parse.GetValue(artifacts)), studyId));

            var path = Path.GetFullPath(parse.GetValue(output)!);
            if (Path.GetDirectoryName(path) is { } folder) Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(path, StudyReportPage.Render(status, trials, ensemble), ct);
            io.Out.WriteLine(path);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>The ensemble step's report, or null when it has not run (no file); a corrupt file is a usage error.</summary>
    private static EnsembleReport? LoadEnsemble(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            return EnsembleReport.Load(path);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new UsageException($"{path}: not a readable ensemble report ({e.Message})", e);
        }
    }
}
