using SweepCluster.Tests.Shared;
using Npgsql;
using SweepCluster.Silo.Storage;

namespace SweepCluster.Silo.Tests;

/// <summary>Our Orleans ADO.NET schema on a real PostgreSQL server.</summary>
public sealed class PostgresSchemaInstallerTests(PostgresServer server) : IClassFixture<PostgresServer>
{
    private async Task<NpgsqlConnection> Open()
    {
        var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    [Fact]
    public async Task Schema_installs_once_even_when_several_silos_start_together()
    {
        var installs = await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            await using var connection = await Open();
            return await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken);
        }));
        // Another test may already have installed it; either way version 1 is applied at most once.
        Assert.True(installs.Count(applied => applied.Contains(1)) <= 1);
        await using var check = await Open();
        Assert.Equal(["1"], await SchemaAssertions.Column(check, "SELECT version FROM sweep_schema_version"));
        Assert.Empty(await SchemaInstaller.EnsureAsync(check, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Every_query_orleans_needs_is_installed_on_postgres()
    {
        await using var connection = await Open();
        await SchemaInstaller.EnsureAsync(connection, TestContext.Current.CancellationToken);
        var keys = await SchemaAssertions.Column(connection, "SELECT querykey FROM orleansquery");
        Assert.Empty(SchemaAssertions.RequiredQueryKeys.Except(keys));
    }
}
