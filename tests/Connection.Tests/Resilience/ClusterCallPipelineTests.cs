using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Orleans.Networking.Shared;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using SweepCluster.Connection.Resilience;

namespace SweepCluster.Connection.Tests.Resilience;

public sealed class ClusterCallPipelineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Production's shape with millisecond delays; the breaker stays out of the way unless a test lowers its threshold.</summary>
    private static readonly ClusterCallOptions Fast = new()
    {
        MaxAttempts = 4,
        FirstRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        BreakerMinimumThroughput = 1_000,
        AttemptTimeout = TimeSpan.FromSeconds(1),
    };

    private static readonly Dictionary<string, Func<Exception>> TransientFailures = new()
    {
        ["silo unavailable"] = () => new SiloUnavailableException("silo left"),
        ["gateway too busy"] = () => new GatewayTooBusyException("busy"),
        ["connection failed"] = () => new ConnectionFailedException("refused"),
        ["socket connection"] = () => new SocketConnectionException("reset"),
        ["socket"] = () => new SocketException((int)SocketError.ConnectionRefused),
        ["response timeout"] = () => new TimeoutException("no response"),
        ["attempt timeout"] = () => new TimeoutRejectedException(),
        ["open circuit"] = () => new BrokenCircuitException(),
        ["storage down"] = () => new SweepCluster.Contracts.Grains.StorageUnavailableException("storage unavailable (PostgreSQL at db:5432: connection refused)"),
        // How a storage failure met while a grain activates arrives: inside Orleans' own wrapper.
        ["storage down during activation"] = () => new OrleansException("Error from storage provider sweep during ReadStateAsync",
            new SweepCluster.Contracts.Grains.StorageUnavailableException("storage unavailable (PostgreSQL at db:5432: connection refused)")),
    };

    private static readonly Dictionary<string, Func<Exception>> ApplicationErrors = new()
    {
        ["argument"] = () => new ArgumentException("bad step"),
        ["invalid operation"] = () => new InvalidOperationException("trial is finished"),
        ["key not found"] = () => new KeyNotFoundException("no such study"),
        ["isolated circuit"] = () => new IsolatedCircuitException(),
        ["worker id in use"] = () => new SweepCluster.Contracts.Grains.WorkerIdInUseException("worker id 'w1' is held by a live worker"),
    };

    public static TheoryData<string> TransientFailureNames => [.. TransientFailures.Keys];

    public static TheoryData<string> ApplicationErrorNames => [.. ApplicationErrors.Keys];

    [Fact]
    public async Task Transient_failure_is_retried_until_the_call_succeeds_and_each_retry_is_logged()
    {
        var logger = new ListLogger();
        var pipeline = ClusterCallPipeline.Create(Fast, logger);
        var calls = 0;

        var answer = await pipeline.ExecuteAsync(_ => ++calls < 3 ? throw new SiloUnavailableException("silo left") : ValueTask.FromResult(42), Ct);

        Assert.Equal(42, answer);
        Assert.Equal(3, calls);
        var retries = logger.Entries.Where(e => e.Level == LogLevel.Warning).ToList();
        Assert.Equal(2, retries.Count);
        Assert.All(retries, r => Assert.Contains(nameof(SiloUnavailableException), r.Message));
        Assert.Contains("attempt 1 of 4", retries[0].Message);
        Assert.Contains("attempt 2 of 4", retries[1].Message);
    }

    [Theory]
    [MemberData(nameof(TransientFailureNames))]
    public async Task Transient_failures_are_retried(string failure)
    {
        var pipeline = ClusterCallPipeline.Create(Fast);
        var calls = 0;

        await pipeline.ExecuteAsync(_ => ++calls == 1 ? throw TransientFailures[failure]() : ValueTask.CompletedTask, Ct);

        Assert.Equal(2, calls);
    }

    [Theory]
    [MemberData(nameof(ApplicationErrorNames))]
    public async Task Application_errors_surface_without_a_retry(string error)
    {
        var pipeline = ClusterCallPipeline.Create(Fast);
        var calls = 0;
        var expected = ApplicationErrors[error]();

        var thrown = await Assert.ThrowsAnyAsync<Exception>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; throw expected; }, Ct));

        Assert.Same(expected, thrown);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_retried()
    {
        var pipeline = ClusterCallPipeline.Create(Fast);
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var calls = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pipeline.ExecuteAsync(async token =>
        {
            calls++;
            await cancellation.CancelAsync();
            token.ThrowIfCancellationRequested();
        }, cancellation.Token));

        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Retries_stop_after_the_last_attempt()
    {
        var pipeline = ClusterCallPipeline.Create(Fast);
        var calls = 0;

        await Assert.ThrowsAsync<SiloUnavailableException>(async () =>
            await pipeline.ExecuteAsync(_ => { calls++; throw new SiloUnavailableException(); }, Ct));

        Assert.Equal(Fast.MaxAttempts, calls);
    }

    [Fact]
    public async Task Breaker_opens_after_repeated_failures_and_then_refuses_calls_without_making_them()
    {
        var logger = new ListLogger();
        var pipeline = ClusterCallPipeline.Create(Fast with { MaxAttempts = 2, BreakerMinimumThroughput = 4 }, logger);
        var calls = 0;
        ValueTask Failing(CancellationToken _) { calls++; throw new SiloUnavailableException(); }

        // Two calls of two attempts each: four failures out of four opens the circuit.
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<SiloUnavailableException>(async () => await pipeline.ExecuteAsync(Failing, Ct));
        }
        await Assert.ThrowsAsync<BrokenCircuitException>(async () => await pipeline.ExecuteAsync(Failing, Ct));

        Assert.Equal(4, calls);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("refusing them"));
    }

    [Fact]
    public async Task Application_errors_do_not_open_the_breaker()
    {
        var pipeline = ClusterCallPipeline.Create(Fast with { BreakerMinimumThroughput = 2 });

        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(async () =>
                await pipeline.ExecuteAsync(_ => throw new InvalidOperationException("trial is finished"), Ct));
        }

        Assert.Equal(1, await pipeline.ExecuteAsync(_ => ValueTask.FromResult(1), Ct));
    }

    [Fact]
    public async Task Timeout_abandons_a_hanging_attempt_and_the_retry_succeeds()
    {
        var pipeline = ClusterCallPipeline.Create(Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(50) });
        var calls = 0;
        var clock = Stopwatch.StartNew();

        var answer = await pipeline.ExecuteAsync(async token =>
        {
            if (++calls == 1) await Task.Delay(Timeout.InfiniteTimeSpan, token);
            return 7;
        }, Ct);

        Assert.Equal(7, answer);
        Assert.Equal(2, calls);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_call_that_always_hangs_ends_with_a_timeout()
    {
        var pipeline = ClusterCallPipeline.Create(Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(20) });
        var calls = 0;

        await Assert.ThrowsAsync<TimeoutRejectedException>(async () => await pipeline.ExecuteAsync(async token =>
        {
            calls++;
            await Task.Delay(Timeout.InfiniteTimeSpan, token);
        }, Ct));

        Assert.Equal(Fast.MaxAttempts, calls);
    }

    /// <summary>
    /// A grain call does not watch Polly's attempt token (Orleans answers only at its own 30 s response
    /// timeout when the gateway dies): CallAsync must still end each attempt at the attempt timeout.
    /// </summary>
    [Fact]
    public async Task CallAsync_ends_an_attempt_that_ignores_the_token_and_the_retry_succeeds()
    {
        var pipeline = ClusterCallPipeline.Create(Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(50) });
        var hanging = new TaskCompletionSource<int>(); // never completed, never cancelled: like a call to a dead silo
        var calls = 0;

        var answer = await pipeline.CallAsync(() => ++calls == 1 ? hanging.Task : Task.FromResult(7), Ct);

        Assert.Equal(7, answer);
        Assert.Equal(2, calls);
        Assert.False(hanging.Task.IsCompleted);
    }

    [Fact]
    public async Task CallAsync_of_a_call_that_always_ignores_the_token_ends_with_a_timeout()
    {
        var pipeline = ClusterCallPipeline.Create(Fast with { AttemptTimeout = TimeSpan.FromMilliseconds(20) });
        var calls = 0;

        await Assert.ThrowsAsync<TimeoutRejectedException>(async () => await pipeline.CallAsync(() =>
        {
            calls++;
            return new TaskCompletionSource().Task;
        }, Ct));

        Assert.Equal(Fast.MaxAttempts, calls);
    }

    [Fact]
    public void Default_options_match_the_documented_pipeline()
    {
        var defaults = new ClusterCallOptions();

        Assert.Equal(6, defaults.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(200), defaults.FirstRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.MaxRetryDelay);
        Assert.Equal(0.5, defaults.BreakerFailureRatio);
        Assert.Equal(8, defaults.BreakerMinimumThroughput);
        Assert.Equal(TimeSpan.FromSeconds(30), defaults.BreakerSamplingDuration);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.BreakDuration);
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.AttemptTimeout);
        Assert.NotNull(ClusterCallPipeline.Create(defaults));
    }
}
