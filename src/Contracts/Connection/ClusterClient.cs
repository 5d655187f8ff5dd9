using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace SweepCluster.Contracts.Connection;

/// <summary>A connected Orleans client and the host that owns it (dispose to disconnect).</summary>
public sealed class ClusterConnection(IHost host) : IAsyncDisposable
{
    public IClusterClient Client { get; } = host.Services.GetRequiredService<IClusterClient>();
    public IGrainFactory Grains => Client;

    /// <summary>
    /// Connects, retrying for up to <paramref name="connectTimeout"/> (a silo that is still starting is normal).
    /// Throws <see cref="ClusterUnavailableException"/> naming the address when no silo answers.
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, TimeSpan connectTimeout,
        Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
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
            throw new ClusterUnavailableException($"no SweepCluster silo answered at {address} within {connectTimeout.TotalSeconds:0} s " +
                "(start one with `sweep up`, or pass --cluster / set SWEEP_CLUSTER)", e);
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
