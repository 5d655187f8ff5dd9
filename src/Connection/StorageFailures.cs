using System.Data.Common;
using System.Net.Sockets;
using Npgsql;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Connection;

/// <summary>
/// Storage failures in words: maps a provider's exception (Npgsql, SQLite) to the
/// <see cref="StorageUnavailableException"/> that crosses the wire. Beside <see cref="StorageLocation"/>, whose
/// providers it knows; the exception type itself stays in Contracts.
/// </summary>
public static class StorageFailures
{
    /// <summary>
    /// The storage failure inside <paramref name="error"/> (a <see cref="DbException"/> anywhere in its
    /// inner or aggregated exceptions) as a <see cref="StorageUnavailableException"/> about
    /// <paramref name="storage"/>; null when <paramref name="error"/> is not a storage failure. The
    /// provider's exception is kept out of it (it cannot cross the wire); its text is in the message.
    /// </summary>
    public static StorageUnavailableException? From(Exception error, StorageLocation storage)
    {
        if (StorageUnavailableException.Find(error) is { } known) return known;
        if (StorageUnavailableException.Find<DbException>(error) is not { } db) return null;
        var reason = StorageUnavailableException.Find<SocketException>(db) is { } socket ? SocketReason(socket)
            : db is NpgsqlException { InnerException: TimeoutException } ? "timed out"
            : FirstLine(db.Message);
        return new StorageUnavailableException($"storage unavailable ({Describe(storage)}: {reason})");
    }

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

}
