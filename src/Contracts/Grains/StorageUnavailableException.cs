namespace SweepCluster.Contracts.Grains;

/// <summary>
/// The cluster's storage (PostgreSQL or SQLite) failed under a grain: the message says which store, where,
/// and why, e.g. "storage unavailable (PostgreSQL at db:5432: connection refused)". Thrown by the silo in
/// place of the ADO.NET provider's own exception, which Orleans cannot send to a client ("Could not find
/// a codec for type Npgsql.NpgsqlException"). Transient: nothing was changed, and the same call succeeds
/// once the storage is back; workers retry it, the CLI reports it and exits 1.
/// </summary>
[GenerateSerializer, Alias("sweep.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException(string message) : base(message) { }

    public StorageUnavailableException(string message, Exception inner) : base(message, inner) { }

    /// <summary>
    /// The <see cref="StorageUnavailableException"/> in <paramref name="error"/> or its inner exceptions, or
    /// null. Orleans wraps a storage failure met while a grain activates in an OrleansException ("Error from
    /// storage provider … Exc level 0: …"), which reaches the caller as is; this finds the cause in it.
    /// </summary>
    public static StorageUnavailableException? Find(Exception error) => Find<StorageUnavailableException>(error);

    /// <summary>The first <typeparamref name="T"/> in <paramref name="error"/>, its inner or aggregated exceptions.</summary>
    public static T? Find<T>(Exception? error) where T : Exception
    {
        for (var depth = 0; error is not null && depth < 16; depth++)
        {
            if (error is T found) return found;
            if (error is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                    if (Find<T>(inner) is { } nested) return nested;
                return null;
            }
            error = error.InnerException;
        }
        return null;
    }
}
