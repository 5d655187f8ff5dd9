using Microsoft.Extensions.Logging;
using Orleans.Storage;
using SweepCluster.Contracts.Connection;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Silo.Storage;

/// <summary>
/// Wraps the ADO.NET grain storage so that its provider's exceptions (NpgsqlException, SqliteException)
/// leave the silo as <see cref="StorageUnavailableException"/>, which Orleans can serialise. Here rather
/// than in a grain call filter because a grain's state is read while it activates, before any call filter
/// runs; a failed activation would still carry the provider's exception to the caller.
/// </summary>
public sealed class StorageErrorMapping(IGrainStorage inner, StorageLocation storage, ILogger<StorageErrorMapping> logger) : IGrainStorage
{
    private long _lastLoggedTicks;

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
        catch (Exception e) when (StorageUnavailableException.From(e, storage) is { } mapped && !ReferenceEquals(mapped, e))
        {
            // One line at most every 5 s: an outage fails every grain's every write.
            var now = DateTime.UtcNow.Ticks;
            var last = Interlocked.Read(ref _lastLoggedTicks);
            if (now - last > TimeSpan.TicksPerSecond * 5 && Interlocked.CompareExchange(ref _lastLoggedTicks, now, last) == last)
                logger.LogWarning("{Error}; callers retry", mapped.Message);
            throw mapped;
        }
    }
}
