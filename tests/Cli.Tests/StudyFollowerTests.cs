using SweepCluster.Cli.Terminal;
using SweepCluster.Contracts.Studies;
using SweepCluster.Contracts.Trials;
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

    [Fact]
    public void A_final_retrain_in_progress_reads_as_its_phase_and_share_not_leased()
    {
        // Before: "bert:final leased" for the whole retrain (its first report comes at its end).
        var job = new TrialView
        {
            StudyId = "s1", Backbone = "bert", Number = 0, Kind = JobKind.FinalRetrain, Status = TrialState.Leased,
            Params = new Dictionary<string, object>(), InternalParams = new Dictionary<string, double>(), IntermediateValues = [],
            Progress = new TrialProgress { Phase = "training", Folds = 1, Epochs = 2, Epoch = 1, EpochFraction = 0.5 },
        };
        var status = Status(StudyState.Running, complete: 4, eta: 10) with
        {
            Stage = "final retrain",
            Backbones = [Status(StudyState.Running, complete: 4, eta: 10).Backbones[0] with { FinalStatus = TrialState.Leased }],
            Running = [job],
        };

        // (1 + 0.5) / 2 = 75 %.
        Assert.Contains("bert:final training 75%", StudyFollower.Line(status));
        Assert.Contains("bert:final tokenising", StudyFollower.Line(status with { Running = [job with { Progress = new TrialProgress { Phase = "tokenising" } }] }));
        Assert.Contains("bert:final leased", StudyFollower.Line(status with { Running = [job with { Progress = null }] }));
    }

    private static StudyStatus Status(StudyState state, int complete, double eta) => new()
    {
        StudyId = "s1", Name = "s", State = state, Metric = "loss", Direction = StudyDirection.Minimize, Stage = "search",
        Eta = TimeSpan.FromSeconds(eta),
        Backbones = [new BackboneStatus { Backbone = "bert", Budget = 4, Counts = new Dictionary<TrialState, int> { [TrialState.Complete] = complete }, BestValue = 0.5 }],
    };
}
