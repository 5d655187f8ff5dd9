using SweepCluster.Cli.Rendering;
using System.CommandLine;
using System.Text.Json;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Search.Space;
using SweepCluster.Silo.Grains;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// <c>sweep enqueue ID --params k=v,…</c>: known-good parameters evaluated first, as Optuna's
/// <c>study.enqueue_trial</c>: the parameters not given are sampled as usual.
/// </summary>
public static class EnqueueCommand
{
    /// <summary>The <c>enqueue</c> verb.</summary>
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var parameters = new Option<string>("--params")
        {
            Description = "Parameter values, NAME=VALUE separated by commas (e.g. lr=0.001,optimizer=adamw); the others are sampled.",
            HelpName = "NAME=VALUE,...", Required = true,
        };
        var backbone = new Option<string?>("--backbone") { Description = "Only this backbone (default: one trial on every backbone).", HelpName = "NAME" };
        var json = new Option<bool>("--json") { Description = "Print the enqueued trial(s) as JSON (as `sweep trials --format json`)." };
        var client = new ClusterClientOptions();
        var command = new Command("enqueue",
            "Evaluate these parameters next (Optuna's enqueue_trial): the next trial of each backbone takes them, and the " +
            "sampler draws the parameters not given. The trial is created at once and offered to workers before the " +
            "sampler's trials. It takes the place of the next sampled trial; when the backbone's budget is all asked it is " +
            "added on top, and a finished study runs again. Values are checked against the search space first: nothing " +
            "is stored when one does not fit. A conditional parameter needs its parent given, set so that it applies.\n" +
            "Exit codes: 0 enqueued, 1 cluster error, 2 no such study, backbone or a bad value, 6 the study was cancelled.")
        {
            id, parameters, backbone, json,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var studyId = parse.GetValue(id)!;
            IReadOnlyList<KeyValuePair<string, string>> values;
            try
            {
                values = FixedParams.Split(parse.GetValue(parameters)!);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--params: {e.Message}");
            }
            // Checked here first, so a mistyped value is a usage error (exit 2) that names the parameter; the study checks again.
            var spec = await StudyQueries.Spec(connection.Grains, studyId);
            var only = parse.GetValue(backbone);
            if (only is not null && spec.Backbones.All(b => b.Name != only))
                throw new UsageException($"no backbone '{only}' in study '{studyId}' (its backbones: {string.Join(", ", spec.Backbones.Select(b => b.Name))})");
            foreach (var b in spec.Backbones.Where(b => only is null || b.Name == only))
            {
                try
                {
                    FixedParams.Parse(StudySearchSettings.For(spec, b).Space, values);
                }
                catch (SearchSpaceException e)
                {
                    throw new UsageException(spec.Backbones.Count > 1 && only is null ? $"backbone {b.Name}: {e.Message}" : e.Message);
                }
            }
            var trials = await StudyQueries.Guard(studyId, () => connection.Grains.GetGrain<IStudyGrain>(studyId)
                .Enqueue(only, values.ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal)));
            TrialRendering.PrintCreated(io, trials, parse.GetValue(json), "enqueued");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
