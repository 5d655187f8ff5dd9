using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Text.Json;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;
using SweepCluster.Studies;
using SweepCluster.Worker.Training;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep submit study.yaml</c>: validates the study file, sends it, prints the study id.</summary>
public static class SubmitCommand
{
    public static Command Create(CliIO io)
    {
        var file = new Argument<string>("study") { Description = "The study file (YAML; see docs/study-spec.md)." };
        var id = new Option<string?>("--id") { Description = "Study id (default: the study name plus a timestamp). Resubmitting the same file under the same id is a no-op.", HelpName = "ID" };
        var check = new Option<bool>("--check") { Description = "Only validate the file (and that its data files exist); submit nothing." };
        var json = new Option<bool>("--json") { Description = "Print the submitted study's status (with --check: the check's result) as JSON instead of the id." };
        var client = new ClusterClientOptions();
        var command = new Command("submit", "Validate a study file and start the study on the cluster; prints the study id.\nExit codes: 0 submitted, 1 cluster error, 2 invalid study file or study refused by the cluster (nothing is kept).")
        {
            file, id, check, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var spec = StudyFile.Load(parse.GetValue(file)!, io.Error);
            if (parse.GetValue(check))
            {
                if (parse.GetValue(json))
                    io.Out.WriteLine(JsonSerializer.Serialize(new CheckResult(parse.GetValue(file)!, true, spec.Name, spec.Backbones.Count, StudyLimits.TotalTrials(spec)), CliJson.Options));
                else
                    io.Out.WriteLine($"{parse.GetValue(file)}: ok ({spec.Backbones.Count} backbone{(spec.Backbones.Count == 1 ? "" : "s")}, {StudyLimits.TotalTrials(spec)} trials)");
                return ExitCodes.Ok;
            }
            var studyId = parse.GetValue(id) ?? StudyFile.NewStudyId(spec.Name);
            ValidateId(studyId);
            return await client.WithConnection(parse, async connection =>
            {
                StudyStatus status;
                try
                {
                    status = await connection.Grains.GetGrain<IStudyGrain>(studyId).Submit(spec);
                }
                catch (StudyRejectedException e)
                {
                    // Nothing was stored: an input error like a refused file, not a cluster failure.
                    throw new UsageException(e.Message, e);
                }
                io.Out.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(status, CliJson.Options) : status.StudyId);
                io.Error.WriteLine($"submitted {status.StudyId}: {status.Backbones.Count} backbone{(status.Backbones.Count == 1 ? "" : "s")}, {status.Budget} trials. Follow it with: sweep watch {status.StudyId}");
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    /// <summary>What <c>sweep submit --check --json</c> prints for a valid file (an invalid one exits 2 with the problem on stderr).</summary>
    private sealed record CheckResult(string File, bool Ok, string Name, int Backbones, long Trials);

    private static void ValidateId(string id)
    {
        if (id.Length is 0 or > StudyLimits.MaxStudyIdLength || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new UsageException($"study id '{StudyLimits.Echo(id)}' must be 1-{StudyLimits.MaxStudyIdLength} characters of letters, digits, '-', '_' or '.'");
    }
}
