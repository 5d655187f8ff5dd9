using System.CommandLine;
using System.Net;
using Microsoft.Extensions.Logging;
using SweepCluster.Connection;
using SweepCluster.Silo;

namespace SweepCluster.Cli.Cluster;

/// <summary><c>sweep silo</c>: one silo of a cluster (what the Kubernetes silo pods run; `sweep up` runs one in-process).</summary>
public static class SiloCommand
{
    /// <summary>Environment variable read when --storage is not given (Kubernetes: from the sweep-db secret).</summary>
    public const string StorageVariable = "SWEEP_STORAGE";

    public static Command Create(CliIO io)
    {
        var storage = new Option<string?>("--storage") { Description = $"sqlite:PATH, postgres:CONNECTION-STRING or memory. Default: ${StorageVariable} (keeps a database password out of the process list).", HelpName = "LOCATION" };
        var clustering = new Option<string>("--clustering") { Description = "localhost: a single silo on this machine; database: membership in the storage database (many silos).", DefaultValueFactory = _ => "localhost" };
        clustering.AcceptOnlyFromAmong("localhost", "database");
        var options = SiloOptions.Create();
        var command = new Command("silo", "Run one silo (grains, storage, /metrics) until SIGTERM or Ctrl-C.") { storage, clustering };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var location = parse.GetValue(storage) ?? Environment.GetEnvironmentVariable(StorageVariable);
            if (string.IsNullOrWhiteSpace(location))
            {
                io.Error.WriteLine($"sweep silo: give --storage or set ${StorageVariable} (sqlite:PATH, postgres:CONNECTION-STRING or memory)");
                return ExitCodes.Usage;
            }
            var hostOptions = options.Read(parse, StorageOption.Parse(location)) with
            {
                Clustering = parse.GetValue(clustering) == "database" ? ClusteringMode.Database : ClusteringMode.Localhost,
            };
            using var shutdown = new ShutdownSignal(ct);
            await using var app = await SiloHost.BuildAsync(hostOptions, shutdown.Token);
            await app.StartAsync(shutdown.Token);
            io.Error.WriteLine($"silo up: gateway {hostOptions.AdvertisedAddress}:{hostOptions.GatewayPort}, storage {hostOptions.Storage}, metrics " +
                               (hostOptions.MetricsPort > 0 ? $"http://{hostOptions.MetricsBind}:{hostOptions.MetricsPort}/metrics, report pages http://{hostOptions.MetricsBind}:{hostOptions.MetricsPort}{StudyReportEndpoints.IndexPath}" : "off"));
            try
            {
                await Task.Delay(Timeout.Infinite, shutdown.Token);
            }
            catch (OperationCanceledException)
            {
            }
            io.Error.WriteLine("silo stopping");
            await app.StopAsync(CancellationToken.None);
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Silo network and logging options shared by `sweep silo` and `sweep up`.</summary>
public sealed class SiloOptions
{
    private readonly Option<int> _siloPort = new("--silo-port") { Description = "Silo-to-silo port.", DefaultValueFactory = _ => 11111 };
    private readonly Option<int> _gatewayPort = new("--gateway-port") { Description = "Port clients (CLI, workers) connect to.", DefaultValueFactory = _ => ClusterAddress.DefaultGatewayPort };
    private readonly Option<int> _metricsPort = new("--metrics-port") { Description = "HTTP port of /metrics (Prometheus) and /healthz; 0 turns it off.", DefaultValueFactory = _ => 9464 };
    private readonly Option<string> _metricsBind = new("--metrics-bind") { Description = "Address the metrics endpoint listens on.", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<string> _advertise = new("--advertise") { Description = "IP address other silos and clients reach this silo at (database clustering).", DefaultValueFactory = _ => "127.0.0.1" };
    private readonly Option<string?> _listen = new("--listen") { Description = "IP address the silo and gateway ports listen on (database clustering). Default: the --advertise address; 0.0.0.0 listens everywhere.", HelpName = "ADDRESS" };
    private readonly Option<string?> _tlsCertificate = new("--tls-cert") { Description = $"This silo's certificate (PEM or PKCS#12) for mutual TLS; clients and other silos must present certificates from --tls-ca. Default: ${ClusterTls.CertificateVariable}.", HelpName = "FILE" };
    private readonly Option<string?> _tlsKey = new("--tls-key") { Description = $"The PEM private key of --tls-cert, when it is a separate file. Default: ${ClusterTls.KeyVariable}.", HelpName = "FILE" };
    private readonly Option<string?> _tlsAuthority = new("--tls-ca") { Description = $"The cluster's CA certificate (PEM). Default: ${ClusterTls.AuthorityVariable}.", HelpName = "FILE" };
    private readonly Option<string> _clusterId = new("--cluster-id") { Description = "Cluster id (silos and clients must agree).", DefaultValueFactory = _ => ClusterAddress.DefaultClusterId };
    private readonly Option<bool> _fastFailure = new("--fast-failure-detection") { Description = "Declare a dead silo dead within seconds (small clusters and tests)." };
    private readonly Option<string> _logLevel = new("--log-level") { Description = "Silo log level on stderr.", DefaultValueFactory = _ => "warning" };

    public static SiloOptions Create()
    {
        var o = new SiloOptions();
        o._logLevel.AcceptOnlyFromAmong("trace", "debug", "information", "warning", "error", "none");
        return o;
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _siloPort, _gatewayPort, _metricsPort, _metricsBind, _advertise, _listen, _clusterId, _tlsCertificate, _tlsKey, _tlsAuthority, _fastFailure, _logLevel })
            command.Options.Add(option);
    }

    public SiloHostOptions Read(ParseResult parse, StorageLocation storage)
    {
        // Refused here too, so a bad port is a usage error (exit 2) before storage is created.
        if (SiloHost.PortProblem(parse.GetValue(_siloPort), parse.GetValue(_gatewayPort), parse.GetValue(_metricsPort)) is { } problem)
            throw new UsageException(problem);
        if (!IPAddress.TryParse(parse.GetValue(_advertise), out var advertised))
            throw new UsageException($"--advertise must be an IP address, got '{parse.GetValue(_advertise)}'");
        IPAddress? listen = null;
        if (parse.GetValue(_listen) is { } listenText && !IPAddress.TryParse(listenText, out listen))
            throw new UsageException($"--listen must be an IP address, got '{listenText}'");
        ClusterTls? tls;
        try
        {
            tls = ClusterTls.Resolve(parse.GetValue(_tlsCertificate), parse.GetValue(_tlsKey), parse.GetValue(_tlsAuthority));
            // Read the files now, so a wrong path is a usage error before the silo starts.
            if (tls is not null) { tls.LoadCertificate().Dispose(); tls.LoadAuthorities(); }
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new UsageException(e.Message, e);
        }
        var level = Enum.Parse<LogLevel>(parse.GetValue(_logLevel)!, ignoreCase: true);
        return new SiloHostOptions
        {
            Storage = storage,
            SiloPort = parse.GetValue(_siloPort),
            GatewayPort = parse.GetValue(_gatewayPort),
            MetricsPort = parse.GetValue(_metricsPort),
            MetricsBind = parse.GetValue(_metricsBind)!,
            AdvertisedAddress = advertised,
            ListenAddress = listen,
            Tls = tls,
            ClusterId = parse.GetValue(_clusterId)!,
            FastFailureDetection = parse.GetValue(_fastFailure),
            Logging = logging => CliLogging.ToStandardError(logging, level),
            // Live report pages beside /metrics; ensembles read from $SWEEP_ARTIFACTS as `sweep report` does.
            Reports = new Reports.StudyReportPage.LiveRenderer(Environment.GetEnvironmentVariable(SweepCluster.Training.Storage.ArtifactLayout.RootVariable)),
        };
    }

    public int GatewayPort(ParseResult parse) => parse.GetValue(_gatewayPort);

    /// <summary>The level --log-level names.</summary>
    public LogLevel ReadLogLevel(ParseResult parse) => Enum.Parse<LogLevel>(parse.GetValue(_logLevel)!, ignoreCase: true);
}
