using Microsoft.Extensions.Logging;
using Orleans.Storage;
using SweepCluster.Connection;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Silo.Storage;

/// <summary>
/// Wraps the ADO.NET grain storage so that its provider's exceptions (NpgsqlException, SqliteException)
/// leave the silo as <see cref="StorageUnavailableException"/>, which Orleans can serialise. Here rather
/// than in a grain call filter because a grain's state is read while it activates, before any call filter
/// runs; a failed activation would still carry the provider's exception to the caller.
/// </summary>
public sealed class StorageErrorMapping(IGrainStorage inner, StorageLocation storage, ILoggerFactory loggers) : IGrainStorage
{
    /// <summary>Where this class logs: one warning per distinct failure, at most every 5 s while it repeats.</summary>
    public const string LogCategory = "SweepCluster.Silo.Storage";

    /// <summary>
    /// Categories that log the same failure again, each with a full stack trace: the ADO.NET provider
    /// (every failed operation) and Orleans' state bridge, which logs under the storage's type name
    /// (this class's full name, so not under <see cref="LogCategory"/>). Kept out of the log below debug.
    /// </summary>
    public static readonly string[] RedundantLogCategories = ["Orleans.Storage.AdoNetGrainStorage", typeof(StorageErrorMapping).FullName!];

    private readonly ILogger _logger = loggers.CreateLogger(LogCategory);
    private readonly Lock _gate = new();
    private string? _lastLogged;
    private DateTime _lastLoggedUtc;

    /// <inheritdoc />
    /// <exception cref="StorageUnavailableException">The storage failed.</exception>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Map(inner.ReadStateAsync(stateName, grainId, grainState));

    /// <inheritdoc />
    /// <exception cref="StorageUnavailableException">The storage failed; the state was not written.</exception>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Map(inner.WriteStateAsync(stateName, grainId, grainState));

    /// <inheritdoc />
    /// <exception cref="StorageUnavailableException">The storage failed.</exception>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Map(inner.ClearStateAsync(stateName, grainId, grainState));

    private async Task Map(Task operation)
    {
        try
        {
            await operation;
        }
        catch (Exception e) when (StorageFailures.From(e, storage) is { } mapped && !ReferenceEquals(mapped, e))
        {
            // An outage fails every grain's every read and write: one line per distinct failure, repeated
            // at most every 5 s, is enough to see it start, go on and change.
            var now = DateTime.UtcNow;
            bool log;
            lock (_gate)
            {
                log = mapped.Message != _lastLogged || now - _lastLoggedUtc > TimeSpan.FromSeconds(5);
                if (log) (_lastLogged, _lastLoggedUtc) = (mapped.Message, now);
            }
            if (log) _logger.LogWarning("{Error}; callers retry", mapped.Message);
            throw mapped;
        }
    }
}
