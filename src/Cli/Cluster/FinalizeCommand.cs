using System.CommandLine;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep finalize ID</c>: stop searching and go on to the final retrain and the ensemble.</summary>
public static class FinalizeCommand
{
    public static Command Create(CliIO io)
    {
        var id = new Argument<string>("id") { Description = "Study id." };
        var client = new ClusterClientOptions();
        var command = new Command("finalize", "Stop asking new trials: once the running ones finish, each backbone is retrained with its best parameters and the ensemble is built.\n" +
                                              "Exit codes: 0 ok, 1 cluster error, 2 no such study.")
        {
            id,
        };
        client.AddTo(command);
        command.SetAction(async (parse, ct) => await client.WithConnection(parse, async connection =>
        {
            var status = await StudyQueries.Finalize(connection.Grains, parse.GetValue(id)!);
            io.Out.WriteLine($"{status.StudyId}: {status.State.ToString().ToLowerInvariant()}, stage {status.Stage} ({status.Finished} trials finished)");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
