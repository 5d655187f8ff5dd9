using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace SweepCluster.Silo;

/// <summary>
/// SQLite connections for Orleans with a busy timeout (Microsoft.Data.Sqlite otherwise sleeps 150 ms on
/// every SQLITE_BUSY) and synchronous=NORMAL (safe under WAL: a power cut may lose the last commits but
/// never corrupts the file). A connection string cannot set either; see Storage/Schema/NOTES.md.
/// </summary>
public sealed class TunedSqliteDataSource(string connectionString) : DbDataSource
{
    public override string ConnectionString => connectionString;

    protected override DbConnection CreateDbConnection() => new SqliteConnection(connectionString);

    protected override DbConnection OpenDbConnection()
    {
        var connection = CreateDbConnection();
        connection.Open();
        Tune(connection);
        return connection;
    }

    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = CreateDbConnection();
        await connection.OpenAsync(cancellationToken);
        Tune(connection);
        return connection;
    }

    private static void Tune(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;";
        command.ExecuteNonQuery();
    }
}
