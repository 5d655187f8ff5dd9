using Microsoft.Extensions.Logging.Abstractions;
using SweepCluster.Connection.Resilience;
using SweepCluster.Contracts.Grains;
using SweepCluster.Contracts.Trials;
using SweepCluster.Worker.Leasing;

namespace SweepCluster.Worker.Tests.Leasing;

/// <summary>
/// A report the cluster cannot take for a while (a silo restarting) is tried again for one lease period before the
/// trial is abandoned. Before, the pipeline's retries (about 6 s) were all it had, and bench/Chaos/chaos.sh lost one
/// attempt of every trial that reported during a silo restart: the trial ran again from its first epoch.
/// </summary>
public sealed class TrialReporterTests
{
    /// <summary>A trial grain that is unreachable for its first <paramref name="failures"/> report calls.</summary>
    private sealed class RestartingTrial(int failures) : ITrialGrain
    {
        public int Calls { get; private set; }
        public List<(int Step, double Value)> Taken { get; } = [];

        public Task<ReportVerdict> Report(int attempt, int step, double value)
        {
            if (++Calls <= failures) throw new TimeoutException("silo restarting");
            Taken.Add((step, value));
            return Task.FromResult(ReportVerdict.Continue);
        }

        public Task Initialize(TrialDefinition definition) => throw new NotSupportedException();
        public Task<TrialView> GetView() => throw new NotSupportedException();
        public Task<bool> Start(int attempt, WorkerInfo worker) => throw new NotSupportedException();
        public Task<ReportVerdict> Heartbeat(int attempt) => throw new NotSupportedException();
        public Task<ReportVerdict> Progress(int attempt, TrialProgress progress) => throw new NotSupportedException();
        public Task<ReportVerdict> Complete(int attempt, double value, IReadOnlyList<StepValue> intermediateValues) => throw new NotSupportedException();
        public Task<ReportVerdict> Fail(int attempt, string error) => throw new NotSupportedException();
        public Task Release(int attempt) => throw new NotSupportedException();
        public Task<LeaseCheck> CheckLease(int attempt) => throw new NotSupportedException();
        public Task Cancel() => throw new NotSupportedException();
        public Task Delete() => throw new NotSupportedException();
    }

    // Two tries per pipeline call, no backoff to speak of, a breaker that never opens.
    private static readonly Polly.ResiliencePipeline Pipeline = ClusterCallPipeline.Create(new ClusterCallOptions
    {
        MaxAttempts = 2, FirstRetryDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(1),
        BreakerMinimumThroughput = 1_000_000, AttemptTimeout = TimeSpan.FromSeconds(5),
    });

    private static LeaseLoop.TrialReporter Reporter(ITrialGrain trial, TimeSpan keepTrying, CancellationTokenSource run) =>
        new(trial, attempt: 1, Pipeline, run, keepTrying, NullLogger.Instance, "s/b/0") { ReportRetryDelay = TimeSpan.FromMilliseconds(10) };

    [Fact]
    public async Task A_report_the_cluster_takes_again_within_the_lease_period_goes_on()
    {
        // 6 failed calls: three pipeline calls of two tries each, then the fourth gets through.
        var trial = new RestartingTrial(failures: 6);
        using var run = new CancellationTokenSource();

        var verdict = await Reporter(trial, TimeSpan.FromSeconds(30), run).ReportAsync(1003, 0.81, TestContext.Current.CancellationToken);

        Assert.Equal(ReportVerdict.Continue, verdict);
        Assert.Equal([(1003, 0.81)], trial.Taken);
        Assert.Equal(7, trial.Calls);
        Assert.False(run.IsCancellationRequested);
    }

    [Fact]
    public async Task A_cluster_still_away_after_the_lease_period_abandons_the_trial()
    {
        var trial = new RestartingTrial(failures: int.MaxValue);
        using var run = new CancellationTokenSource();

        var error = await Assert.ThrowsAsync<ClusterUnreachableException>(() =>
            Reporter(trial, TimeSpan.FromMilliseconds(200), run).ReportAsync(1, 0.5, TestContext.Current.CancellationToken));

        Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Empty(trial.Taken);
        Assert.True(trial.Calls >= 4, $"{trial.Calls} calls: it gave up after the first pipeline call");
    }
}
