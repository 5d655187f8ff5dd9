using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace SweepCluster.Connection;

/// <summary>
/// Mutual TLS between every party of a cluster (silo ↔ silo, CLI and workers → gateway): each presents a
/// certificate, and each accepts only certificates issued by the cluster's own certificate authority.
/// Names are not checked: silos are reached by IP and re-addressed when pods move, so the CA is the
/// trust boundary (a certificate from it is a member). Files are PEM (certificate, unencrypted PKCS#8
/// or RSA key, CA bundle) or, for the certificate, PKCS#12 without a password.
/// Settings come from --tls-cert/--tls-key/--tls-ca, else SWEEP_TLS_CERT/SWEEP_TLS_KEY/SWEEP_TLS_CA.
/// </summary>
public sealed record ClusterTls(string CertificateFile, string? KeyFile, string AuthorityFile)
{
    public const string CertificateVariable = "SWEEP_TLS_CERT";
    public const string KeyVariable = "SWEEP_TLS_KEY";
    public const string AuthorityVariable = "SWEEP_TLS_CA";

    /// <summary>
    /// The settings from the options given, else the environment; null when neither names a certificate.
    /// </summary>
    /// <exception cref="FormatException">A certificate without a CA (or a CA without a certificate): mutual TLS needs both.</exception>
    public static ClusterTls? Resolve(string? certificate, string? key, string? authority)
    {
        certificate ??= Environment.GetEnvironmentVariable(CertificateVariable);
        key ??= Environment.GetEnvironmentVariable(KeyVariable);
        authority ??= Environment.GetEnvironmentVariable(AuthorityVariable);
        if (string.IsNullOrEmpty(certificate) && string.IsNullOrEmpty(authority)) return null;
        if (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(authority))
            throw new FormatException($"TLS needs both a certificate (--tls-cert or {CertificateVariable}) and the cluster's CA (--tls-ca or {AuthorityVariable})");
        return new ClusterTls(certificate, string.IsNullOrEmpty(key) ? null : key, authority);
    }

    /// <summary>This party's certificate with its private key.</summary>
    /// <exception cref="InvalidDataException">A file is missing or not a certificate/key, named.</exception>
    public X509Certificate2 LoadCertificate()
    {
        try
        {
            var certificate = KeyFile is { } key
                ? X509Certificate2.CreateFromPemFile(CertificateFile, key)
                : CertificateFile.EndsWith(".pem", StringComparison.OrdinalIgnoreCase) || CertificateFile.EndsWith(".crt", StringComparison.OrdinalIgnoreCase)
                    ? X509Certificate2.CreateFromPemFile(CertificateFile)
                    : X509CertificateLoader.LoadPkcs12FromFile(CertificateFile, password: null);
            if (!certificate.HasPrivateKey) throw new InvalidDataException($"{CertificateFile}: the certificate has no private key (give --tls-key)");
            return certificate;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"TLS certificate {CertificateFile}{(KeyFile is null ? "" : $" with key {KeyFile}")}: {e.Message}", e);
        }
    }

    /// <summary>The certificates of the cluster's CA (a PEM bundle).</summary>
    /// <exception cref="InvalidDataException">The file is missing or holds no certificate.</exception>
    public X509Certificate2Collection LoadAuthorities()
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(AuthorityFile);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException)
        {
            throw new InvalidDataException($"TLS CA {AuthorityFile}: {e.Message}", e);
        }
        if (authorities.Count == 0) throw new InvalidDataException($"TLS CA {AuthorityFile}: no PEM certificate in it");
        return authorities;
    }

    /// <summary>
    /// Sets <paramref name="options"/> for mutual TLS: this party's certificate, a certificate required
    /// from the other side (client certificates too), and validation against the cluster's CA only.
    /// </summary>
    public void Configure(TlsOptions options)
    {
        var authorities = LoadAuthorities();
        options.LocalCertificate = LoadCertificate();
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (certificate, _, errors) => IssuedBy(certificate, authorities, errors);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to one of <paramref name="authorities"/>, and only
    /// them: the machine's own trust store is not consulted, and a name mismatch is not an error.
    /// </summary>
    public static bool IssuedBy(X509Certificate2 certificate, X509Certificate2Collection authorities, SslPolicyErrors errors = SslPolicyErrors.None)
    {
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        // A private CA publishes no revocation lists; rotating the CA is how a member is expelled.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public override string ToString() => $"mutual TLS ({CertificateFile}, CA {AuthorityFile})";
}
