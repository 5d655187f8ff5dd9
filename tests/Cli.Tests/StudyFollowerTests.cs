using SweepCluster.Cli.Terminal;
using SweepCluster.Contracts.Studies;
using SweepCluster.Search.Sampling;
using SweepCluster.Studies;

namespace SweepCluster.Cli.Tests;

/// <summary>`watch` and `up --until-done` without a terminal: one line per change, then the table.</summary>
public sealed class StudyFollowerTests
{
    [Fact]
    public async Task Piped_one_line_per_change_not_per_poll_then_the_table()
    {
        // Four polls after the first status: the ETA alone changes (no line), a trial finishes (a line),
        // nothing changes (no line), the study finishes (a line). Three lines in all.
        var statuses = new Queue<StudyStatus>([
            Status(StudyState.Running, complete: 1, eta: 50),
            Status(StudyState.Running, complete: 2, eta: 40),
            Status(StudyState.Running, complete: 2, eta: 30),
            Status(StudyState.Finished, complete: 4, eta: 0),
        ]);
        var output = new StringWriter();
        var lines = new StringWriter();
        var io = new CliIO(TextReader.Null, output, TextWriter.Null);

        var last = await StudyFollower.Run(io, Status(StudyState.Running, complete: 1, eta: 60), () => Task.FromResult(statuses.Dequeue()),
            TimeSpan.FromMilliseconds(1), lines, TestContext.Current.CancellationToken);

        Assert.Equal(StudyState.Finished, last.State);
        Assert.Empty(statuses);
        var printed = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, printed.Length);
        Assert.Contains("s1: running 1/4, stage search · bert=1/4 best=0.5 · ETA 1m00s", printed[0]);
        Assert.Contains("s1: running 2/4", printed[1]);
        Assert.Contains("ETA 40.0s", printed[1]);
        Assert.Contains("s1: finished 4/4", printed[2]);
        Assert.Contains("4/4 trials finished", output.ToString()); // the table's caption, on stdout
    }

    private static StudyStatus Status(StudyState state, int complete, double eta) => new()
    {
        StudyId = "s1", Name = "s", State = state, Metric = "loss", Direction = StudyDirection.Minimize, Stage = "search",
        Eta = TimeSpan.FromSeconds(eta),
        Backbones = [new BackboneStatus { Backbone = "bert", Budget = 4, Counts = new Dictionary<TrialState, int> { [TrialState.Complete] = complete }, BestValue = 0.5 }],
    };
}
