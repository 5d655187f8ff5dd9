using SweepCluster.Cli.Rendering;
using SweepCluster.Training.Storage;
using System.CommandLine;
using System.Text.Json;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Studies;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// <c>sweep delete ID</c>: removes a study from storage and from the study list, after a y/N question on
/// a terminal (or <c>--yes</c>). Its artifacts folder stays unless <c>--artifacts</c> is given.
/// </summary>
public static class DeleteCommand
{
    /// <summary>The <c>delete</c> verb.</summary>
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation (needed when stdin is not a terminal)." };
        var artifacts = new Option<bool>("--artifacts") { Description = "Also delete the study's artifacts folder (checkpoints, predictions, report); for a study already deleted, only that folder." };
        var force = new Option<bool>("--force") { Description = "Delete even while trials run: the study is cancelled first, its workers stop at their next report." };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Where the artifacts live, as for `sweep up` (default: {LocalHome.DefaultHelp}); artifacts are in DIR/{ArtifactLayout.DefaultRoot}/ID.", HelpName = "DIR" };
        var json = new Option<bool>("--json") { Description = "Print what was deleted as JSON: the study's last status, and the artifacts folder and whether it was removed." };
        var client = new ClusterClientOptions();
        var command = new Command("delete",
            "Delete a study: its spec, trials and list entry leave the storage. Asks y/N on a terminal; --yes when stdin " +
            "is not one. Refused while trials run unless --force (which cancels the study first). The artifacts folder " +
            "(DATA-DIR/artifacts/ID on this machine) is kept unless --artifacts.\n" +
            "Exit codes: 0 deleted, 1 cluster error, 2 no such study, or no --yes without a terminal, 5 not confirmed, 6 trials running (no --force).")
        {
            id, yes, artifacts, force, dataDir, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var studyId = parse.GetValue(id)!;
            if (!parse.GetValue(yes) && !io.InputIsTerminal)
                throw new UsageException($"delete asks for confirmation and stdin is not a terminal: pass --yes to delete study '{studyId}'");
            var folder = ArtifactLayout.Study(LocalHome.ArtifactsRoot(LocalHome.Resolve(parse.GetValue(dataDir))), studyId);
            return await client.WithConnection(parse, async connection =>
            {
                var study = connection.Grains.GetGrain<IStudyGrain>(studyId);
                StudyStatus status;
                try
                {
                    status = await StudyQueries.Status(connection.Grains, studyId);
                }
                catch (UsageException) when (parse.GetValue(artifacts) && Directory.Exists(folder))
                {
                    // The study went earlier without --artifacts: its folder is all that is left, and this is the verb that removes it.
                    return await DeleteLeftovers(io, studyId, folder, parse.GetValue(yes), parse.GetValue(json), ct);
                }
                // Refuse before asking: a yes that is then refused wastes the question. The study checks again.
                if (!parse.GetValue(force) && status.Running.Count > 0)
                    throw new RefusedException($"study '{studyId}' has {status.Running.Count} trial(s) running; cancel it first (sweep cancel {studyId}) or pass --force");
                if (!parse.GetValue(yes) && !await Confirmed(io, $"Delete study '{studyId}' ({status.Name}, {status.State.ToString().ToLowerInvariant()}, " +
                        $"{status.Finished}/{status.Budget} trials finished)" + (parse.GetValue(artifacts) ? $" and its artifacts {folder}" : "") + "?", ct))
                    return ExitCodes.NotConfirmed;
                var last = await StudyQueries.Guard(studyId, () => study.Delete(parse.GetValue(force)));
                var removed = false;
                if (parse.GetValue(artifacts) && Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                    removed = true;
                }
                if (parse.GetValue(json))
                {
                    io.Out.WriteLine(JsonSerializer.Serialize(new { deleted = studyId, status = last, artifacts = folder, artifacts_deleted = removed }, CliJson.Options));
                }
                else
                {
                    io.Out.WriteLine($"deleted study {studyId}");
                    io.Out.WriteLine(removed ? $"deleted its artifacts {folder}"
                        : Directory.Exists(folder) ? $"kept its artifacts {folder} (delete them with --artifacts)" : $"no artifacts at {folder}");
                }
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }

    /// <summary>`delete ID --artifacts` for a study no longer in the cluster: removes the artifacts folder it left (asked first unless --yes).</summary>
    private static async Task<int> DeleteLeftovers(CliIO io, string studyId, string folder, bool yes, bool json, CancellationToken ct)
    {
        if (!yes && !await Confirmed(io, $"No study '{studyId}' in the cluster. Delete its leftover artifacts {folder}?", ct)) return ExitCodes.NotConfirmed;
        Directory.Delete(folder, recursive: true);
        if (json) io.Out.WriteLine(JsonSerializer.Serialize(new { deleted = (string?)null, status = (StudyStatus?)null, artifacts = folder, artifacts_deleted = true }, CliJson.Options));
        else io.Out.WriteLine($"no study {studyId} in the cluster; deleted its leftover artifacts {folder}");
        return ExitCodes.Ok;
    }

    /// <summary>Asks <paramref name="question"/> with [y/N] on stderr; only y, Y, yes, YES or Yes confirms, else it says "not deleted".</summary>
    private static async Task<bool> Confirmed(CliIO io, string question, CancellationToken ct)
    {
        io.Error.Write($"{question} [y/N] ");
        var answer = (await io.In.ReadLineAsync(ct))?.Trim();
        if (answer is "y" or "Y" or "yes" or "YES" or "Yes") return true;
        io.Error.WriteLine("not deleted");
        return false;
    }
}
