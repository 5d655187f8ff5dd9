using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SweepCluster.Cli.Tests.Cluster;

/// <summary>
/// Who can reach the cluster (issue 11): silos listen where they are told (the advertised address by
/// default, not every interface), clients can name the cluster id, and mutual TLS admits only parties
/// whose certificates the cluster's CA issued. Certificates are made here, in the test.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ClusterSecurityTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A CA and a certificate it issued, as PEM files: (ca.pem, cert.pem, key.pem).</summary>
    private (string Ca, string Certificate, string Key) Issue(string name, X509Certificate2? ca = null, ECDsa? caKey = null)
    {
        var ownCa = ca is null;
        if (ownCa)
        {
            caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest($"CN={name} CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        }
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var certificate = request.Create(ca!.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey!),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(8));
        var caFile = _dir.File($"{name}-ca.pem", ca.ExportCertificatePem());
        var certificateFile = _dir.File($"{name}.pem", certificate.ExportCertificatePem());
        var keyFile = _dir.File($"{name}.key", key.ExportPkcs8PrivateKeyPem());
        _caCertificate = ca;
        _caKey = caKey;
        return (caFile, certificateFile, keyFile);
    }

    private X509Certificate2? _caCertificate;
    private ECDsa? _caKey;

    [Fact]
    public async Task Mutual_TLS_admits_certificates_of_the_cluster_s_CA_and_refuses_others()
    {
        var silo = Issue("silo");
        var (ca, caKey) = (_caCertificate!, _caKey!);
        var member = Issue("member", ca, caKey);
        var stranger = Issue("stranger"); // its own CA: a valid certificate, but not the cluster's
        await using var cluster = new LocalCluster();
        await cluster.StartSilo(extraArgs: ["--tls-cert", silo.Certificate, "--tls-key", silo.Key, "--tls-ca", silo.Ca]);
        string[] Client((string Ca, string Certificate, string Key) who) => ["--cluster", cluster.Address, "--tls-cert", who.Certificate, "--tls-key", who.Key, "--tls-ca", silo.Ca];

        // A member: the CLI and a worker run a study end to end over TLS.
        var file = cluster.WriteStudy("study", LocalCluster.SimulatedStudy("tls", ["distilbert"], trials: 3, maxParallel: 1, steps: 3, stepSeconds: 0, pruner: "none"));
        var id = (await Sweep.Ok(["submit", file, "--id", "tls", .. Client(member)])).Trim();
        cluster.Start("w1", ["worker", "--simulated", "--id", "w1", .. Client(member)]);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        string state;
        do
        {
            await Task.Delay(500, TestContext.Current.CancellationToken);
            var status = System.Text.Json.JsonDocument.Parse(await Sweep.Ok(["status", id, "--json", .. Client(member)])).RootElement;
            state = status.GetProperty("state").GetString()!;
        } while (state != "finished" && DateTime.UtcNow < deadline);
        Assert.True(state == "finished", cluster.Dump());

        // No certificate, and a certificate from another CA: refused, with a message, exit 1.
        var (code, output, error) = await Sweep.Run("status", "--cluster", cluster.Address, "--connect-timeout", "4");
        Assert.True(code == 1, $"plain TCP: exit {code}\n{output}{error}");
        Assert.Contains("no SweepCluster silo", error);
        (code, output, error) = await Sweep.Run(["status", "--connect-timeout", "4", .. Client(stranger)]);
        Assert.True(code == 1, $"stranger: exit {code}\n{output}{error}");
        Assert.Contains("certificate from another CA", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Clients_reach_a_cluster_started_with_another_cluster_id_by_option_or_environment()
    {
        await using var cluster = new LocalCluster();
        await cluster.StartSilo(extraArgs: ["--cluster-id", "team-a"]);
        Assert.Equal(0, (await Sweep.Run("status", "--cluster", cluster.Address, "--cluster-id", "team-a")).ExitCode);
        var (code, _, error) = await Sweep.Run("status", "--cluster", cluster.Address, "--connect-timeout", "3");
        Assert.Equal(1, code);
        Assert.Contains("cluster id 'sweep'", error);
        (code, _, error) = await Sweep.Run("status", "--cluster", cluster.Address, "--cluster-id", "bad id!");
        Assert.Equal(2, code);
        Assert.Contains("cluster id 'bad id!'", error);
    }

    [Fact]
    public async Task A_database_clustered_silo_listens_on_its_advertised_address_only()
    {
        var other = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (other is null) Assert.Skip("this machine has no non-loopback IPv4 address to try the ports on");

        await using var cluster = new LocalCluster(databaseClustering: true);
        var gateway = SweepCluster.Tests.Shared.PostgresServer.FreePort();
        var siloPort = SweepCluster.Tests.Shared.PostgresServer.FreePort();
        await cluster.StartSilo(gatewayPort: gateway, siloPort: siloPort, extraArgs: ["--advertise", "127.0.0.1"]);

        Assert.True(await Accepts(IPAddress.Loopback, gateway), "the gateway must accept on its advertised address");
        Assert.False(await Accepts(other, gateway), $"the gateway accepted on {other}, an address it was not told to listen on");
        Assert.False(await Accepts(other, siloPort), $"the silo port accepted on {other}");
    }

    private static async Task<bool> Accepts(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(3));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }
}
