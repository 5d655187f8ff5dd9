using System.Data;
using System.Data.Common;
using System.Globalization;

namespace SweepCluster.Silo.Storage;

/// <summary>SQL dialects for which SweepCluster ships Orleans ADO.NET schema scripts.</summary>
public enum SchemaDialect
{
    /// <summary>SQLite through Microsoft.Data.Sqlite (Orleans invariant <c>System.Data.SQLite</c>).</summary>
    Sqlite,

    /// <summary>PostgreSQL through Npgsql (Orleans invariant <c>Npgsql</c>).</summary>
    Postgres,
}

/// <summary>One embedded, versioned schema script.</summary>
public sealed record SchemaScript(SchemaDialect Dialect, int Version, string Name, string ResourceName);

/// <summary>
/// Applies the embedded schema scripts (Storage/Schema/&lt;dialect&gt;/NNN_name.sql) that a database
/// has not recorded in <c>sweep_schema_version</c> yet. Each missing script runs in its own
/// transaction; concurrent installers are serialized (SQLite: BEGIN IMMEDIATE, PostgreSQL:
/// transaction-scoped advisory lock), so several silos may call this at start-up.
/// </summary>
public static class SchemaInstaller
{
    /// <summary>Orleans ADO.NET invariant name to configure for SQLite (Microsoft.Data.Sqlite).</summary>
    public const string SqliteInvariant = "System.Data.SQLite";

    /// <summary>Orleans ADO.NET invariant name to configure for PostgreSQL (Npgsql).</summary>
    public const string PostgresInvariant = "Npgsql";

    private const string ResourcePrefix = "SweepCluster.Silo.Storage.Schema.";

    // Arbitrary constant key for pg_advisory_xact_lock ("SweepSch").
    private const long PostgresLockKey = 0x5377656570536368;

    private const string VersionTableDdlSqlite =
        "CREATE TABLE IF NOT EXISTS sweep_schema_version (version INTEGER NOT NULL PRIMARY KEY, " +
        "script TEXT NOT NULL, applied_utc TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP);";

    private const string VersionTableDdlPostgres =
        "CREATE TABLE IF NOT EXISTS sweep_schema_version (version integer NOT NULL PRIMARY KEY, " +
        "script text NOT NULL, applied_utc timestamptz NOT NULL DEFAULT now());";

    /// <summary>The embedded scripts for <paramref name="dialect"/>, in version order.</summary>
    public static IReadOnlyList<SchemaScript> GetScripts(SchemaDialect dialect)
    {
        var prefix = ResourcePrefix + DialectFolder(dialect) + ".";
        var scripts = new List<SchemaScript>();
        foreach (var resource in typeof(SchemaInstaller).Assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) ||
                !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[prefix.Length..^".sql".Length];
            var underscore = name.IndexOf('_');
            var digits = underscore < 0 ? name : name[..underscore];
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version <= 0)
            {
                throw new InvalidOperationException($"Schema script '{resource}' does not start with a positive version number.");
            }

            scripts.Add(new SchemaScript(dialect, version, name, resource));
        }

        scripts.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < scripts.Count; i++)
        {
            if (scripts[i].Version == scripts[i - 1].Version)
            {
                throw new InvalidOperationException($"Duplicate schema version {scripts[i].Version} for {dialect}.");
            }
        }

        return scripts;
    }

    /// <summary>The text of an embedded script.</summary>
    public static string ReadScript(SchemaScript script)
    {
        ArgumentNullException.ThrowIfNull(script);
        using var stream = typeof(SchemaInstaller).Assembly.GetManifestResourceStream(script.ResourceName)
            ?? throw new InvalidOperationException($"Embedded schema script '{script.ResourceName}' not found.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Infers the dialect from the connection type (Microsoft.Data.Sqlite or Npgsql).</summary>
    public static SchemaDialect DetectDialect(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.GetType().FullName switch
        {
            "Microsoft.Data.Sqlite.SqliteConnection" => SchemaDialect.Sqlite,
            "Npgsql.NpgsqlConnection" => SchemaDialect.Postgres,
            var other => throw new NotSupportedException($"No schema scripts for connection type '{other}'."),
        };
    }

    /// <summary>
    /// Applies every embedded script whose version is above the highest recorded one, using the
    /// dialect inferred from the connection type. Opens the connection if it is closed.
    /// Returns the versions applied by this call (empty when the schema was current).
    /// </summary>
    public static Task<IReadOnlyList<int>> EnsureAsync(DbConnection connection, CancellationToken cancellationToken = default)
        => EnsureAsync(connection, DetectDialect(connection), cancellationToken);

    /// <inheritdoc cref="EnsureAsync(DbConnection, CancellationToken)"/>
    public static async Task<IReadOnlyList<int>> EnsureAsync(DbConnection connection, SchemaDialect dialect, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (connection.State != ConnectionState.Open)
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }

        if (dialect == SchemaDialect.Sqlite)
        {
            // Readers do not block the writer and vice versa; persistent for a file database,
            // a no-op for in-memory ones. Must run outside a transaction.
            await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
        }

        var applied = new List<int>();
        foreach (var script in GetScripts(dialect))
        {
            // SQLite: Serializable = BEGIN IMMEDIATE (write lock up front). PostgreSQL: Read Committed,
            // so statements after the advisory lock see what a concurrent installer committed.
            var isolation = dialect == SchemaDialect.Sqlite ? IsolationLevel.Serializable : IsolationLevel.ReadCommitted;
            await using var transaction = await connection.BeginTransactionAsync(isolation, cancellationToken).ConfigureAwait(false);
            if (dialect == SchemaDialect.Postgres)
            {
                await ExecuteAsync(connection, transaction, $"SELECT pg_advisory_xact_lock({PostgresLockKey});", cancellationToken).ConfigureAwait(false);
            }

            await ExecuteAsync(connection, transaction,
                dialect == SchemaDialect.Sqlite ? VersionTableDdlSqlite : VersionTableDdlPostgres,
                cancellationToken).ConfigureAwait(false);

            if (await IsAppliedAsync(connection, transaction, script.Version, cancellationToken).ConfigureAwait(false))
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            await ExecuteAsync(connection, transaction, ReadScript(script), cancellationToken).ConfigureAwait(false);
            await using (var record = connection.CreateCommand())
            {
                // The scripts record themselves too; this keeps the table right if one forgets.
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO sweep_schema_version (version, script) VALUES (" +
                    script.Version.ToString(CultureInfo.InvariantCulture) + ", '" + script.Name.Replace("'", "''", StringComparison.Ordinal) +
                    "') ON CONFLICT (version) DO NOTHING;";
                await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(script.Version);
        }

        return applied;
    }

    private static async Task<bool> IsAppliedAsync(DbConnection connection, DbTransaction transaction, int version, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM sweep_schema_version WHERE version = " +
            version.ToString(CultureInfo.InvariantCulture) + ";";
        var count = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(count, CultureInfo.InvariantCulture) > 0;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string DialectFolder(SchemaDialect dialect) => dialect switch
    {
        SchemaDialect.Sqlite => "sqlite",
        SchemaDialect.Postgres => "postgres",
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, null),
    };
}
