using System.CommandLine;
using Microsoft.Extensions.Logging;
using SweepCluster.Connection;
using SweepCluster.Connection.Resilience;

namespace SweepCluster.Cli.Cluster;

/// <summary>
/// The options every verb that talks to a cluster shares (address, cluster id, connect timeout, mutual
/// TLS), and the one way they connect. Each option falls back to its environment variable.
/// </summary>
public sealed class ClusterClientOptions
{
    private readonly Option<string?> _cluster = new("--cluster")
    {
        Description = $"Cluster to talk to: localhost[:PORT], HOST:PORT[,HOST:PORT], or postgres:CONNECTION-STRING. " +
                      $"Default: ${ClusterAddress.EnvironmentVariable}, else localhost:{ClusterAddress.DefaultGatewayPort}.",
        HelpName = "ADDRESS",
    };
    private readonly Option<string?> _clusterId = new("--cluster-id")
    {
        Description = $"Cluster id, as the silos were started with. Default: ${ClusterAddress.ClusterIdVariable}, else {ClusterAddress.DefaultClusterId}.",
        HelpName = "ID",
    };
    private readonly Option<double> _timeout = new("--connect-timeout")
    {
        Description = "Seconds to keep trying to reach the cluster before giving up; each call to it is bounded by the same time.",
        HelpName = "SECONDS",
    };
    private readonly Option<string?> _tlsCertificate = new("--tls-cert")
    {
        Description = $"This client's certificate (PEM or PKCS#12) for mutual TLS with the silos. Default: ${ClusterTls.CertificateVariable}.",
        HelpName = "FILE",
    };
    private readonly Option<string?> _tlsKey = new("--tls-key")
    {
        Description = $"The PEM private key of --tls-cert, when it is a separate file. Default: ${ClusterTls.KeyVariable}.",
        HelpName = "FILE",
    };
    private readonly Option<string?> _tlsAuthority = new("--tls-ca")
    {
        Description = $"The cluster's CA certificate (PEM); only certificates it issued are accepted. Default: ${ClusterTls.AuthorityVariable}.",
        HelpName = "FILE",
    };

    /// <param name="defaultConnectTimeoutSeconds">--connect-timeout's default, seconds.</param>
    public ClusterClientOptions(double defaultConnectTimeoutSeconds = 10) => _timeout.DefaultValueFactory = _ => defaultConnectTimeoutSeconds;

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _cluster, _clusterId, _timeout, _tlsCertificate, _tlsKey, _tlsAuthority })
            command.Options.Add(option);
    }

    /// <summary>The seconds given to --connect-timeout.</summary>
    public TimeSpan ConnectTimeout(ParseResult parse) => TimeSpan.FromSeconds(parse.GetValue(_timeout));

    /// <summary>The cluster's address, id and TLS settings from the options, else the environment.</summary>
    /// <exception cref="UsageException">Any of them is malformed.</exception>
    public ClusterAddress Address(ParseResult parse)
    {
        try
        {
            var tls = ClusterTls.Resolve(parse.GetValue(_tlsCertificate), parse.GetValue(_tlsKey), parse.GetValue(_tlsAuthority));
            return ClusterAddress.Resolve(parse.GetValue(_cluster), parse.GetValue(_clusterId), tls);
        }
        catch (FormatException e)
        {
            throw new UsageException(e.Message, e);
        }
    }

    /// <summary>
    /// Connects (client logging to stderr only when SWEEP_DEBUG=1) and runs <paramref name="body"/>. Each
    /// grain call waits at most the connect timeout for its answer, so a gateway that accepts and never
    /// answers ends in a message and exit 1, not a hang.
    /// </summary>
    public async Task<int> WithConnection(ParseResult parse, Func<ClusterConnection, Task<int>> body, CancellationToken cancellationToken)
    {
        var address = Address(parse);
        var timeout = ConnectTimeout(parse);
        await using var connection = await ClusterConnection.ConnectAsync(address, timeout, DebugLogging, cancellationToken, responseTimeout: timeout);
        try
        {
            // The same resilience as workers: a silo failing over answers after a few retries. Every verb's
            // calls are reads or idempotent (submit by id, cancel), so repeating the body is safe.
            return await CliPipeline.ExecuteAsync(async _ => await body(connection), cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or Polly.Timeout.TimeoutRejectedException)
        {
            throw new ClusterUnavailableException($"the cluster at {address} (cluster id '{address.ClusterId}') accepted the connection but did not answer within " +
                $"{timeout.TotalSeconds:0.#} s (a silo still starting, a silo of another cluster id, or one advertised at an address this host cannot reach; " +
                "raise --connect-timeout for a slow cluster)", e);
        }
    }

    // Two attempts: one retry covers a silo failing over; more would multiply the bound the user gave.
    private static readonly Polly.ResiliencePipeline CliPipeline = ClusterCallPipeline.Create(new ClusterCallOptions { MaxAttempts = 2 });

    public static void DebugLogging(ILoggingBuilder logging)
    {
        if (Environment.GetEnvironmentVariable("SWEEP_DEBUG") is "1") logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Debug);
    }
}
