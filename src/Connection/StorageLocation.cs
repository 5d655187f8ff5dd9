using Microsoft.Data.Sqlite;
using Npgsql;

namespace SweepCluster.Connection;

public enum StorageKind { Sqlite, Postgres, Memory }

/// <summary>
/// Where the cluster keeps its state, written on the command line as <c>sqlite:PATH</c>,
/// <c>postgres:CONNECTION-STRING</c> (Npgsql syntax: Host=…;Port=…;Username=…;Database=…) or <c>memory</c>
/// (benchmarks only: nothing survives a restart).
/// </summary>
public sealed record StorageLocation(StorageKind Kind, string ConnectionString)
{
    /// <summary>Orleans' ADO.NET invariant names (Orleans maps "System.Data.SQLite" to Microsoft.Data.Sqlite itself).</summary>
    public string AdoNetInvariant => Kind switch
    {
        StorageKind.Sqlite => "System.Data.SQLite",
        StorageKind.Postgres => "Npgsql",
        _ => throw new InvalidOperationException("in-memory storage has no ADO.NET provider"),
    };

    public static StorageLocation Parse(string text)
    {
        text = text.Trim();
        if (text.Equals("memory", StringComparison.OrdinalIgnoreCase)) return new(StorageKind.Memory, "");
        var colon = text.IndexOf(':');
        var (scheme, rest) = colon < 0 ? ("", text) : (text[..colon].ToLowerInvariant(), text[(colon + 1)..]);
        switch (scheme)
        {
            case "sqlite":
                if (rest.Length == 0) throw new FormatException("sqlite storage needs a file path: sqlite:/path/to/sweep.db");
                return new(StorageKind.Sqlite, new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(rest), Pooling = true }.ToString());
            case "postgres" or "postgresql":
                try
                {
                    return new(StorageKind.Postgres, new NpgsqlConnectionStringBuilder(rest).ToString());
                }
                catch (ArgumentException e)
                {
                    throw new FormatException($"postgres storage: bad connection string ({e.Message})", e);
                }
            default:
                throw new FormatException($"unknown storage '{text}': use sqlite:PATH, postgres:CONNECTION-STRING or memory");
        }
    }

    public override string ToString() => Kind switch
    {
        StorageKind.Sqlite => $"sqlite:{new SqliteConnectionStringBuilder(ConnectionString).DataSource}",
        StorageKind.Postgres => $"postgres:{Redacted(ConnectionString)}",
        _ => "memory",
    };

    private static string Redacted(string cs)
    {
        var b = new NpgsqlConnectionStringBuilder(cs);
        if (!string.IsNullOrEmpty(b.Password)) b.Password = "***";
        return b.ToString();
    }
}
