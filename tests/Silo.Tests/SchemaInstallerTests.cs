using Microsoft.Data.Sqlite;
using SweepCluster.Silo.Storage;

namespace SweepCluster.Silo.Tests;

/// <summary>Our Orleans ADO.NET schema on a real SQLite file: applied once, idempotent, complete.</summary>
public sealed class SchemaInstallerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sweep-schema-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(_directory, "cluster.db")}");
        connection.Open();
        return connection;
    }

    [Fact]
    public async Task Schema_is_applied_once_and_a_second_run_changes_nothing()
    {
        await using (var connection = Open())
        {
            Assert.Equal([1], await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken));
        }
        await using (var connection = Open())
        {
            Assert.Empty(await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken));
            Assert.Equal(["1"], await SchemaAssertions.Column(connection, "SELECT version FROM sweep_schema_version"));
        }
    }

    [Fact]
    public async Task Every_query_orleans_clustering_and_grain_storage_ask_for_is_installed()
    {
        await using var connection = Open();
        await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken);
        var keys = await SchemaAssertions.Column(connection, "SELECT QueryKey FROM OrleansQuery");
        Assert.Empty(SchemaAssertions.RequiredQueryKeys.Except(keys));
        var tables = await SchemaAssertions.Column(connection, "SELECT name FROM sqlite_master WHERE type = 'table'");
        Assert.Contains("OrleansStorage", tables, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("OrleansMembershipTable", tables, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Existing_rows_survive_a_second_install()
    {
        await using var connection = Open();
        await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken);
        using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO OrleansMembershipVersionTable (DeploymentId, Version) VALUES ('keep-me', 7)";
            insert.ExecuteNonQuery();
        }
        await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken);
        Assert.Equal(["7"], await SchemaAssertions.Column(connection, "SELECT Version FROM OrleansMembershipVersionTable WHERE DeploymentId = 'keep-me'"));
    }
}
