using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;
using SweepCluster.Connection;
using SweepCluster.Contracts.Grains;

namespace SweepCluster.Connection.Tests.Storage;

/// <summary>Issue 11, item 4: how a provider's failure is named to the user (the process test covers the wire).</summary>
public sealed class StorageFailuresTests
{
    private static readonly StorageLocation Postgres = StorageLocation.Parse("postgres:Host=db.internal;Port=5433;Username=u;Password=secret;Database=sweep");

    [Fact]
    public void A_refused_postgres_connection_names_host_port_and_reason_but_not_the_password()
    {
        var npgsql = new NpgsqlException("Failed to connect to 10.0.0.5:5433", new SocketException((int)SocketError.ConnectionRefused));

        var mapped = StorageFailures.From(new InvalidOperationException("wrapped", npgsql), Postgres);

        Assert.Equal("storage unavailable (PostgreSQL at db.internal:5433: connection refused)", mapped!.Message);
        Assert.Null(mapped.InnerException); // Orleans cannot serialise the provider's exception
        Assert.DoesNotContain("secret", mapped.Message);
    }

    [Fact]
    public void A_sqlite_failure_inside_an_aggregate_gives_the_first_line_of_its_message()
    {
        var sqlite = new SqliteException("SQLite Error 10: 'disk I/O error'.\nmore detail", 10);
        var location = StorageLocation.Parse("sqlite:/data/sweep.db");

        var mapped = StorageFailures.From(new AggregateException(new TimeoutException(), sqlite), location);

        Assert.Equal("storage unavailable (SQLite at /data/sweep.db: SQLite Error 10: 'disk I/O error'.)", mapped!.Message);
    }

    [Fact]
    public void Errors_that_are_not_storage_failures_are_left_alone()
    {
        Assert.Null(StorageFailures.From(new InvalidOperationException("trial is finished"), Postgres));
        Assert.Null(StorageFailures.From(new SocketException((int)SocketError.ConnectionRefused), Postgres));
    }
}
