using SweepCluster.Cli.Rendering;
using System.CommandLine;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// <c>sweep retry ID --failed | --trial N</c>: failed (or chosen) trials run again with the same
/// parameters, as new trials, as Optuna users do with <c>enqueue_trial(failed.params)</c> and Ray Tune's
/// <c>Tuner.restore(..., restart_errored=True)</c>.
/// </summary>
public static class RetryCommand
{
    /// <summary>The <c>retry</c> verb.</summary>
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var failed = new Option<bool>("--failed") { Description = "Retry every failed trial not retried before." };
        var trial = new Option<int?>("--trial") { Description = "Retry this one finished trial (any outcome); needs --backbone when the study has several.", HelpName = "N" };
        var backbone = new Option<string?>("--backbone") { Description = "Only this backbone's trials.", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print the new trials as JSON (as `sweep trials --format json`)." };
        var client = new ClusterClientOptions();
        var command = new Command("retry",
            "Run trials again with the same parameters, as new trials: --failed takes every failed trial (a failed trial " +
            "whose retry exists is skipped, so repeating the command is harmless); --trial N takes one finished trial. " +
            "The old trials stay as they were (the search keeps their outcome). Retries are added on top of the budget, " +
            "offered to workers before the sampler's trials, and a finished study runs again until they end.\n" +
            "Exit codes: 0 ok (also when nothing failed), 1 cluster error, 2 bad options, no such study, backbone or trial, 6 the study was cancelled.")
        {
            id, failed, trial, backbone, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var number = parse.GetValue(trial);
            if (parse.GetValue(failed) == number.HasValue)
                throw new UsageException("retry needs exactly one of --failed (every failed trial) or --trial N (one trial)");
            return await client.WithConnection(parse, async connection =>
            {
                var studyId = parse.GetValue(id)!;
                var trials = await StudyQueries.Guard(studyId, () => connection.Grains.GetGrain<IStudyGrain>(studyId).Retry(parse.GetValue(backbone), number));
                TrialRendering.PrintCreated(io, trials, parse.GetValue(json), "retried");
                return ExitCodes.Ok;
            }, ct);
        });
        return command;
    }
}
