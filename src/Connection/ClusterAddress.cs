using System.Net;

namespace SweepCluster.Connection;

/// <summary>
/// How a client (the CLI, a worker) finds the cluster: <c>localhost[:GATEWAY-PORT]</c> or
/// <c>HOST:GATEWAY-PORT[,HOST:PORT…]</c> (static gateways; the embedded default), or
/// <c>postgres:CONNECTION-STRING</c> (gateways read from the cluster's membership table).
/// Taken from --cluster, else the SWEEP_CLUSTER environment variable, else localhost:30000. The cluster
/// id (silos and clients must agree) from --cluster-id, else SWEEP_CLUSTER_ID, else "sweep"; mutual TLS
/// (<see cref="ClusterTls"/>) when a certificate and CA are given.
/// </summary>
public sealed record ClusterAddress
{
    public const string EnvironmentVariable = "SWEEP_CLUSTER";
    public const string ClusterIdVariable = "SWEEP_CLUSTER_ID";
    public const int DefaultGatewayPort = 30000;
    public const string DefaultClusterId = "sweep";
    public const string ServiceId = "sweepcluster";

    public IReadOnlyList<IPEndPoint> Gateways { get; init; } = [];
    public StorageLocation? Membership { get; init; }
    public string ClusterId { get; init; } = DefaultClusterId;
    /// <summary>Mutual TLS to the gateways; null = plain TCP (the default, for one machine or a trusted network).</summary>
    public ClusterTls? Tls { get; init; }

    /// <summary>The address from the options given, else the environment, else the local default.</summary>
    /// <exception cref="FormatException">The address, cluster id or TLS settings are malformed (named).</exception>
    public static ClusterAddress Resolve(string? option, string? clusterId = null, ClusterTls? tls = null)
    {
        var id = clusterId ?? Environment.GetEnvironmentVariable(ClusterIdVariable);
        if (id is not null && (id.Length is 0 or > 100 || id.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))))
            throw new FormatException($"cluster id '{(id.Length > 100 ? id[..100] + "…" : id)}' must be 1-100 characters of letters, digits, '-', '_' or '.'");
        return Parse(option ?? Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "localhost") with
        {
            ClusterId = string.IsNullOrEmpty(id) ? DefaultClusterId : id,
            Tls = tls,
        };
    }

    public static ClusterAddress Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || text.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
            return new ClusterAddress { Membership = StorageLocation.Parse(text) };
        var gateways = new List<IPEndPoint>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.LastIndexOf(':');
            var host = colon < 0 ? part : part[..colon];
            var port = DefaultGatewayPort;
            if (colon >= 0 && !int.TryParse(part[(colon + 1)..], out port))
                throw new FormatException($"cluster '{text}': '{part}' has no valid port");
            gateways.Add(new IPEndPoint(ResolveHost(host), port));
        }
        if (gateways.Count == 0) throw new FormatException("cluster address is empty");
        return new ClusterAddress { Gateways = gateways };
    }

    private static IPAddress ResolveHost(string host)
    {
        if (host is "localhost" or "") return IPAddress.Loopback;
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            ?? throw new FormatException($"cluster host '{host}' does not resolve");
    }

    public override string ToString() => Membership is { } m ? m.ToString() : string.Join(",", Gateways.Select(g => g.ToString()));
}
