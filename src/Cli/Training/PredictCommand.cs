using System.CommandLine;
using SweepCluster.Training.Data;
using SweepCluster.Training.Ensembles;
using SweepCluster.Training.Runtime;
using SweepCluster.Training.Storage;

namespace SweepCluster.Cli.Training;

/// <summary>
/// <c>sweep predict ID --input test.csv --output submission.csv</c>: the study's ensemble applied to a file,
/// from its artifacts alone (ensemble.json and the members' model folders), so it needs no cluster.
/// </summary>
public static class PredictCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id (its folder under the artifacts root)." };
        var input = new Option<string>("--input") { Description = "CSV or TSV with the text column the study trained on.", Required = true, HelpName = "FILE" };
        var output = new Option<string>("--output") { Description = "Submission to write: id and the predicted label (the training file's label names); multi-label: one probability column per label.", Required = true, HelpName = "FILE" };
        var idColumn = new Option<string?>("--id-column") { Description = "Id column of the input (default: the study's id column; none: row numbers).", HelpName = "NAME" };
        var textColumn = new Option<string?>("--text-column") { Description = "Text column of the input (default: the study's).", HelpName = "NAME" };
        var probabilities = new Option<string?>("--probabilities") { Description = "Also write every model's probabilities (ensemble and each member) to this file.", HelpName = "FILE" };
        var artifacts = new Option<string?>("--artifacts") { Description = $"Artifacts root holding ID/ (default: {ArtifactLayout.DefaultHelp}).", HelpName = "DIR" };
        var command = new Command("predict", "Predict labels for a file with a finished study's ensemble, from its artifacts alone.\n" +
                                             "Exit codes: 0 ok, 2 bad input or no ensemble for this study.")
        {
            id, input, output, idColumn, textColumn, probabilities, artifacts,
        };
        command.SetAction(parse =>
        {
            var root = ArtifactLayout.Root(parse.GetValue(artifacts));
            var studyFolder = ArtifactLayout.Study(root, parse.GetValue(id)!);
            try
            {
                var report = EnsembleReport.Load(ArtifactLayout.EnsembleReport(root, parse.GetValue(id)!));
                var ids = parse.GetValue(idColumn) ?? report.IdColumn;
                var texts = UnlabelledTexts.Load(parse.GetValue(input)!, parse.GetValue(textColumn) ?? report.TextColumn, ids);
                TorchRuntime.EnsureLoadable();
                var predictions = EnsemblePredictions.Predict(studyFolder, report, texts.Texts, progress: line => io.Error.WriteLine(line));
                EnsemblePredictions.WriteSubmission(parse.GetValue(output)!, report, texts.Ids, predictions, ids);
                if (parse.GetValue(probabilities) is { } file) EnsemblePredictions.WriteProbabilities(file, report, texts.Ids, predictions, ids);
                io.Out.WriteLine($"{parse.GetValue(output)}: {texts.Ids.Count} rows ({report.Method} vote of {report.MemberModels.Count}: {string.Join(", ", report.MemberModels.Keys)})");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or DataFileException or UnauthorizedAccessException)
            {
                throw new UsageException(e.Message, e);
            }
        });
        return command;
    }
}
