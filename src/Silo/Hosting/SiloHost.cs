using System.Data.Common;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using SweepCluster.Connection;
using SweepCluster.Contracts.Grains;
using SweepCluster.Silo.Storage;
using SweepCluster.Silo.Telemetry;

namespace SweepCluster.Silo;

public enum ClusteringMode
{
    /// <summary>One silo on this machine; clients connect to its gateway port (the embedded default).</summary>
    Localhost,
    /// <summary>Membership in the storage database (PostgreSQL for real clusters): any number of silos.</summary>
    Database,
}

public sealed record SiloHostOptions
{
    public required StorageLocation Storage { get; init; }
    public ClusteringMode Clustering { get; init; } = ClusteringMode.Localhost;
    public string ClusterId { get; init; } = ClusterAddress.DefaultClusterId;
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = ClusterAddress.DefaultGatewayPort;
    /// <summary>HTTP port of /metrics; 0 = no HTTP endpoint.</summary>
    public int MetricsPort { get; init; } = 9464;
    /// <summary>Address the metrics endpoint listens on ("0.0.0.0" in containers).</summary>
    public string MetricsBind { get; init; } = "127.0.0.1";
    /// <summary>Address other silos and clients reach this silo at (database clustering).</summary>
    public IPAddress AdvertisedAddress { get; init; } = IPAddress.Loopback;
    /// <summary>
    /// Address the silo and gateway ports listen on (database clustering); null = the advertised address,
    /// so a silo is reachable exactly where it says it is. 0.0.0.0 only where the network is the boundary.
    /// </summary>
    public IPAddress? ListenAddress { get; init; }
    /// <summary>Mutual TLS on the silo and gateway ports (silos and clients present certificates from the cluster's CA); null = plain TCP.</summary>
    public ClusterTls? Tls { get; init; }
    /// <summary>Declare a dead silo dead within seconds (tests, small clusters) instead of Orleans' defaults.</summary>
    public bool FastFailureDetection { get; init; }
    public Action<ILoggingBuilder>? Logging { get; init; }
    /// <summary>Serves /studies and /studies/{id}/report on the metrics port with this renderer; null = no report pages.</summary>
    public IStudyReportRenderer? Reports { get; init; }
}

/// <summary>Builds a SweepCluster silo: Orleans (grains, storage, clustering) plus the /metrics endpoint.</summary>
public static class SiloHost
{
    public const string StorageName = "sweep";

    /// <summary>Liveness (the process answers; /healthz is the same) and readiness (<see cref="SiloReadinessCheck"/>) on the metrics port.</summary>
    public const string LivePath = "/healthz/live", ReadyPath = "/healthz/ready";

    private const string ReadyTag = "ready";

    /// <summary>The ADO.NET provider behind <see cref="StorageName"/> (the grain storage name is not stored in rows).</summary>
    private const string AdoNetStorageName = "sweep.adonet";

    /// <summary>Builds the silo host (not started): checks its ports are free, creates the storage schema.</summary>
    /// <exception cref="PortInUseException">The silo, gateway or metrics port is taken (another silo or `sweep up` on this machine).</exception>
    /// <exception cref="ArgumentException">Database clustering with in-memory storage, or a port out of range or given twice (<see cref="PortProblem"/>).</exception>
    public static async Task<WebApplication> BuildAsync(SiloHostOptions options, CancellationToken cancellationToken = default)
    {
        CheckPortsFree(options);
        if (options.Storage.Kind != StorageKind.Memory) await EnsureSchemaAsync(options.Storage, cancellationToken);
        if (options.Clustering == ClusteringMode.Database && options.Storage.Kind == StorageKind.Memory)
            throw new ArgumentException("database clustering needs sqlite or postgres storage");

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        options.Logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(options.MetricsPort > 0 ? $"http://{options.MetricsBind}:{options.MetricsPort}" : "http://127.0.0.1:0");
        builder.Services.AddSweepGrainServices();
        builder.Services.AddSingleton(options.Storage);
        builder.Services.AddHealthChecks().AddCheck<SiloReadinessCheck>("silo", tags: [ReadyTag]);
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(SweepMetrics.MeterName, "Microsoft.Orleans")
            .AddPrometheusExporter());

        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = ClusterAddress.ServiceId;
            });
            if (options.Clustering == ClusteringMode.Localhost)
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
            }
            else
            {
                silo.Configure<EndpointOptions>(o =>
                {
                    o.AdvertisedIPAddress = options.AdvertisedAddress;
                    o.SiloPort = options.SiloPort;
                    o.GatewayPort = options.GatewayPort;
                    var listen = options.ListenAddress ?? options.AdvertisedAddress;
                    o.SiloListeningEndpoint = new IPEndPoint(listen, options.SiloPort);
                    o.GatewayListeningEndpoint = new IPEndPoint(listen, options.GatewayPort);
                });
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = options.Storage.AdoNetInvariant;
                    if (options.Storage.Kind == StorageKind.Sqlite) o.DataSource = new TunedSqliteDataSource(options.Storage.ConnectionString);
                    else o.ConnectionString = options.Storage.ConnectionString;
                });
            }
            if (options.Tls is { } tls) silo.UseTls(tls.Configure);
            // Orleans' watchdog can read a membership timestamp before it is set; see ProcessRelativeTimeProvider.
            silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Membership, new ProcessRelativeTimeProvider());
            if (options.FastFailureDetection)
            {
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                });
            }

            if (options.Storage.Kind == StorageKind.Memory)
            {
                silo.AddMemoryGrainStorage(StorageName);
            }
            else
            {
                // The provider is registered under an inner name and wrapped under ours, so its exceptions
                // reach callers as StorageUnavailableException (see StorageErrorMapping).
                silo.AddAdoNetGrainStorage(AdoNetStorageName, o =>
                {
                    o.Invariant = options.Storage.AdoNetInvariant;
                    if (options.Storage.Kind == StorageKind.Sqlite) o.DataSource = new TunedSqliteDataSource(options.Storage.ConnectionString);
                    else o.ConnectionString = options.Storage.ConnectionString;
                });
                // Orleans' binary format with our pinned [Alias] names: renaming a C# type never orphans stored state.
                silo.Services.AddOptions<AdoNetGrainStorageOptions>(AdoNetStorageName).Configure<Serializer>((o, serializer) =>
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
                silo.Services.AddKeyedSingleton<IGrainStorage>(StorageName, (services, _) => new StorageErrorMapping(
                    services.GetRequiredKeyedService<IGrainStorage>(AdoNetStorageName), options.Storage,
                    services.GetRequiredService<ILoggerFactory>()));
                // Orleans wraps a failed state write in its own OrleansException; callers get the cause,
                // whose message says what is wrong, and whose type workers know to be transient.
                var storage = options.Storage;
                silo.AddIncomingGrainCallFilter(async context =>
                {
                    try
                    {
                        await context.Invoke();
                    }
                    catch (Exception e) when (StorageFailures.From(e, storage) is { } cause && !ReferenceEquals(cause, e))
                    {
                        throw cause;
                    }
                });
            }
        });

        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        // Liveness: the process answers HTTP (no checks run: a slow database must not restart silos).
        var live = new HealthCheckOptions { Predicate = _ => false };
        app.MapHealthChecks(LivePath, live);
        app.MapHealthChecks("/healthz", live);
        // Readiness: active in the membership table and storage reachable (SiloReadinessCheck).
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) });
        if (options.Reports is { } reports) app.MapStudyReports(reports);
        return app;
    }

    /// <summary>What SweepCluster's grains need from a silo besides storage: metrics and the study ticker.</summary>
    public static IServiceCollection AddSweepGrainServices(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<SweepMetrics>();
        services.AddHostedService<StudyTicker>();
        return services;
    }

    private static async Task EnsureSchemaAsync(StorageLocation storage, CancellationToken cancellationToken)
    {
        DbConnection connection = storage.Kind == StorageKind.Sqlite
            ? new SqliteConnection(storage.ConnectionString)
            : new NpgsqlConnection(storage.ConnectionString);
        await using (connection)
        {
            if (storage.Kind == StorageKind.Sqlite)
            {
                var path = new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            }
            await SchemaInstaller.EnsureAsync(connection, cancellationToken);
        }
    }

    /// <summary>
    /// What is wrong with the silo's ports before anything binds, or null: each must be in 1–65535 (the metrics
    /// port may be 0, which turns it off), and no two may be the same. Orleans listens with SO_REUSEPORT, so a
    /// silo and a gateway on one port would both start and split the connections between them. The message
    /// names the options (`--silo-port`, `--gateway-port`, `--metrics-port`).
    /// </summary>
    public static string? PortProblem(int siloPort, int gatewayPort, int metricsPort)
    {
        (string Option, int Port)[] ports = [("--silo-port", siloPort), ("--gateway-port", gatewayPort), ("--metrics-port", metricsPort)];
        foreach (var (option, port) in ports)
            if (port is < 0 or > IPEndPoint.MaxPort || port == 0 && option != "--metrics-port")
                return $"{option} must be a port from 1 to {IPEndPoint.MaxPort}{(option == "--metrics-port" ? " (0 turns it off)" : "")}, got {port}";
        var clash = ports.Where(p => p.Port != 0).GroupBy(p => p.Port).FirstOrDefault(g => g.Count() > 1);
        return clash is null ? null : $"{string.Join(" and ", clash.Select(p => p.Option))} are both {clash.Key}: each needs a port of its own";
    }

    private const int SolSocket = 1, SoReuseAddr = 2; // <sys/socket.h> on Linux

    /// <summary>
    /// Refuses to start when a port this silo needs is taken, naming the port and its option: otherwise Orleans
    /// and Kestrel fail half-way through start-up and log a stack trace per listener before the one-line reason.
    /// Orleans' listeners set SO_REUSEPORT, so without this check a second silo on the same ports starts and
    /// shares them with the first. A port taken between this check and the bind fails with the listener's message.
    /// </summary>
    private static void CheckPortsFree(SiloHostOptions options)
    {
        var listen = options.Clustering == ClusteringMode.Database ? options.ListenAddress ?? options.AdvertisedAddress : IPAddress.Loopback;
        var ports = new List<(int Port, string Option, IPAddress Address)>
        {
            (options.SiloPort, "--silo-port", listen),
            (options.GatewayPort, "--gateway-port", listen),
        };
        // A host name other than localhost is left to Kestrel's own bind error: probing 0.0.0.0 for it would
        // refuse a port that is only taken on another address.
        var metricsAddress = IPAddress.TryParse(options.MetricsBind, out var bind) ? bind
            : string.Equals(options.MetricsBind, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : null;
        if (options.MetricsPort != 0 && metricsAddress is not null) ports.Add((options.MetricsPort, "--metrics-port", metricsAddress));
        if (PortProblem(options.SiloPort, options.GatewayPort, options.MetricsPort) is { } problem) throw new ArgumentException(problem);
        foreach (var (port, option, address) in ports)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(address, port);
                // SO_REUSEADDR alone, so a restarted silo's old connections in TIME_WAIT do not count as taken. Not
                // .NET's ReuseAddress: on Linux that also sets SO_REUSEPORT, as Orleans' listeners do, and two
                // processes with SO_REUSEPORT share a port: a second `sweep up` would start and take half the calls.
                if (OperatingSystem.IsLinux()) probe.Server.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                throw new PortInUseException(port, option);
            }
        }
    }
}

/// <summary>A port the silo needs is taken; the message names the port and the option that moves it.</summary>
public sealed class PortInUseException(int port, string option) : Exception(
    $"port {port} is in use (another silo or `sweep up` on this machine?); stop it, or pass {option} with a free port")
{
    /// <summary>The port that is taken.</summary>
    public int Port { get; } = port;
}
