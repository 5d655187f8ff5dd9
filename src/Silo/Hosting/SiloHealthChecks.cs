using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Orleans.Runtime;
using SweepCluster.Connection;

namespace SweepCluster.Silo;

/// <summary>
/// Readiness of a silo: it is Active in the cluster's membership (it has joined and takes grain calls
/// and gateway connections) and its storage answers. Kubernetes sends gateway traffic only to ready
/// silos (/healthz/ready); liveness (/healthz/live) is only "the process answers HTTP".
/// </summary>
public sealed class SiloReadinessCheck(
    IClusterMembershipService membership, ILocalSiloDetails local, StorageLocation storage) : IHealthCheck
{
    public static readonly TimeSpan StorageTimeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress);
        if (status != SiloStatus.Active)
            return HealthCheckResult.Unhealthy($"silo {local.SiloAddress} is {status} in the membership table, not Active");
        var storageError = await ProbeStorageAsync(storage, cancellationToken);
        return storageError is null
            ? HealthCheckResult.Healthy($"silo active; storage {storage} reachable")
            : HealthCheckResult.Unhealthy($"storage {storage} unreachable: {storageError}");
    }

    /// <summary>Runs SELECT 1 against the storage database; null when it answers, else why not (never the password).</summary>
    public static async Task<string?> ProbeStorageAsync(StorageLocation storage, CancellationToken cancellationToken)
    {
        if (storage.Kind == StorageKind.Memory) return null;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StorageTimeout);
        try
        {
            DbConnection connection = storage.Kind == StorageKind.Sqlite
                ? new SqliteConnection(storage.ConnectionString)
                : new NpgsqlConnection(storage.ConnectionString);
            await using (connection)
            {
                await connection.OpenAsync(timeout.Token);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync(timeout.Token);
            }
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"no answer within {StorageTimeout.TotalSeconds:0} s";
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }
}
