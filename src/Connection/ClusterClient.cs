using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Configuration;

namespace SweepCluster.Connection;

/// <summary>A connected Orleans client and the host that owns it (dispose to disconnect).</summary>
public sealed class ClusterConnection(IHost host) : IAsyncDisposable
{
    public IClusterClient Client { get; } = host.Services.GetRequiredService<IClusterClient>();
    public IGrainFactory Grains => Client;

    /// <summary>
    /// Connects, retrying for up to <paramref name="connectTimeout"/> (a silo that is still starting is normal).
    /// Throws <see cref="ClusterUnavailableException"/> naming the address when no silo answers.
    /// </summary>
    /// <param name="responseTimeout">How long one grain call may wait for its answer; null keeps Orleans' 30 s.</param>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, TimeSpan connectTimeout,
        Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default, TimeSpan? responseTimeout = null)
    {
        var deadline = DateTime.UtcNow + connectTimeout;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        logging?.Invoke(builder.Logging);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = address.ClusterId;
                o.ServiceId = ClusterAddress.ServiceId;
            });
            if (address.Membership is { } membership)
            {
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = membership.AdoNetInvariant;
                    o.ConnectionString = membership.ConnectionString;
                });
            }
            else
            {
                client.UseStaticClustering(address.Gateways.ToArray());
            }
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            if (address.Tls is { } tls) client.UseTls(tls.Configure);
            // Every call is bounded: a gateway that accepts the connection but never answers (a silo of another
            // cluster id behind a database membership, an advertised address this host cannot reach) ends
            // each call at this timeout instead of hanging.
            if (responseTimeout is { } timeout) client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = timeout);
            client.UseConnectionRetryFilter(async (exception, ct) =>
            {
                if (DateTime.UtcNow >= deadline) return false;
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            host.Dispose();
            var tls = address.Tls is null ? "" : $"; with {address.Tls}, a silo without TLS or with a certificate from another CA refuses the connection";
            throw new ClusterUnavailableException($"no SweepCluster silo of cluster id '{address.ClusterId}' answered at {address} within {connectTimeout.TotalSeconds:0} s " +
                $"(start one with `sweep up`, or pass --cluster / set SWEEP_CLUSTER, --cluster-id / SWEEP_CLUSTER_ID{tls})", e);
        }
        return new ClusterConnection(host);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            host.Dispose();
        }
    }
}

public sealed class ClusterUnavailableException(string message, Exception inner) : Exception(message, inner);
