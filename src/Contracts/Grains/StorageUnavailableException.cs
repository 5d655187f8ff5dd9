using System.Data.Common;
using System.Net.Sockets;
using Npgsql;
using SweepCluster.Contracts.Connection;

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
    /// The storage failure inside <paramref name="error"/> (a <see cref="DbException"/> anywhere in its
    /// inner or aggregated exceptions) as a <see cref="StorageUnavailableException"/> about
    /// <paramref name="storage"/>; null when <paramref name="error"/> is not a storage failure. The
    /// provider's exception is kept out of it (it cannot cross the wire); its text is in the message.
    /// </summary>
    public static StorageUnavailableException? From(Exception error, StorageLocation storage)
    {
        if (Find(error) is { } known) return known;
        if (Find<DbException>(error) is not { } db) return null;
        var reason = Find<SocketException>(db) is { } socket ? SocketReason(socket)
            : db is NpgsqlException { InnerException: TimeoutException } ? "timed out"
            : FirstLine(db.Message);
        return new StorageUnavailableException($"storage unavailable ({Describe(storage)}: {reason})");
    }

    /// <summary>
    /// The <see cref="StorageUnavailableException"/> in <paramref name="error"/> or its inner exceptions, or
    /// null. Orleans wraps a storage failure met while a grain activates in an OrleansException ("Error from
    /// storage provider … Exc level 0: …"), which reaches the caller as is; this finds the cause in it.
    /// </summary>
    public static StorageUnavailableException? Find(Exception error) => Find<StorageUnavailableException>(error);

    /// <summary>"PostgreSQL at host:port" or "SQLite at path", without credentials.</summary>
    public static string Describe(StorageLocation storage) => storage.Kind switch
    {
        StorageKind.Postgres => new NpgsqlConnectionStringBuilder(storage.ConnectionString) is var b ? $"PostgreSQL at {b.Host}:{b.Port}" : "",
        StorageKind.Sqlite => $"SQLite at {new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(storage.ConnectionString).DataSource}",
        _ => "in-memory storage",
    };

    private static string SocketReason(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.TimedOut => "timed out",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "unreachable",
        _ => FirstLine(socket.Message),
    };

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    private static T? Find<T>(Exception? error) where T : Exception
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
