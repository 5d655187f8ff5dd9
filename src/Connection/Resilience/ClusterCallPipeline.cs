using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Orleans.Networking.Shared;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Connection.Resilience;

/// <summary>
/// The one resilience pipeline for every worker → cluster call, outermost first: retry with exponential
/// backoff and jitter, a circuit breaker, and a per-attempt timeout. Only transient failures (see
/// <see cref="IsTransient"/>) are retried or counted by the breaker; a grain's own errors surface at once.
/// </summary>
public static class ClusterCallPipeline
{
    public const string Name = "cluster-call";

    public static ResiliencePipeline Create(ClusterCallOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var transient = new PredicateBuilder().Handle<Exception>(IsTransient);
        return new ResiliencePipelineBuilder { Name = Name, TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = transient,
                MaxRetryAttempts = options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.FirstRetryDelay,
                MaxDelay = options.MaxRetryDelay,
                OnRetry = args =>
                {
                    logger?.LogWarning("cluster call failed with {ExceptionType} (attempt {Attempt} of {MaxAttempts}): {Message}; retrying in {DelayMs:0} ms",
                        args.Outcome.Exception?.GetType().Name, args.AttemptNumber + 1, options.MaxAttempts,
                        args.Outcome.Exception is { } e ? Describe(e) : null, args.RetryDelay.TotalMilliseconds);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                ShouldHandle = transient,
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakDuration,
                OnOpened = args =>
                {
                    logger?.LogWarning("cluster calls keep failing: refusing them for {BreakSeconds:0.#} s", args.BreakDuration.TotalSeconds);
                    return default;
                },
                OnClosed = _ =>
                {
                    logger?.LogInformation("cluster calls succeed again");
                    return default;
                },
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    /// <summary>
    /// Runs one cluster call through <paramref name="pipeline"/> so that each attempt really ends at the
    /// pipeline's attempt timeout: a grain call does not watch Polly's per-attempt token, so the attempt
    /// is awaited with <see cref="Task.WaitAsync(CancellationToken)"/> on it. Without this, a call in
    /// flight when its gateway silo dies waits Orleans' own response timeout (30 s) while the lease's
    /// heartbeats keep the trial alive. The abandoned call may still arrive later; every worker → grain
    /// call is idempotent for that reason (a report by step, a completion by attempt).
    /// </summary>
    /// <exception cref="TimeoutRejectedException">Every attempt timed out.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static ValueTask<T> CallAsync<T>(this ResiliencePipeline pipeline, Func<Task<T>> call, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async attempt => await call().WaitAsync(attempt), cancellationToken);

    /// <inheritdoc cref="CallAsync{T}(ResiliencePipeline, Func{Task{T}}, CancellationToken)"/>
    public static ValueTask CallAsync(this ResiliencePipeline pipeline, Func<Task> call, CancellationToken cancellationToken) =>
        pipeline.ExecuteAsync(async attempt => await call().WaitAsync(attempt), cancellationToken);

    /// <summary>
    /// Failures of the connection to the cluster, which a later attempt may not meet: rejected messages
    /// (a silo going away: <see cref="SiloUnavailableException"/>), a busy gateway, broken connections,
    /// timeouts, the cluster's storage being down (<see cref="StorageUnavailableException"/>: the silo is
    /// up but cannot read or write state; the same call succeeds once it is back), and an open circuit (retried after backoff, which outlasts the break). Everything else —
    /// a grain's ArgumentException, InvalidOperationException, KeyNotFoundException, and cancellation —
    /// is the caller's answer.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception is
        OrleansMessageRejectionException
        or GatewayTooBusyException
        or ConnectionFailedException
        or SocketConnectionException
        or SocketException
        or TimeoutException
        or TimeoutRejectedException
        or BrokenCircuitException and not IsolatedCircuitException
        || StorageUnavailableException.Find(exception) is not null;

    /// <summary>
    /// What to log about a failed call: its message, or for a storage failure that Orleans wrapped (one met
    /// while a grain activated) the one-line cause instead of Orleans' multi-line wrapper.
    /// </summary>
    public static string Describe(Exception exception) => StorageUnavailableException.Find(exception)?.Message ?? exception.Message;
}
