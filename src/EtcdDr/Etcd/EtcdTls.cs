using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace EtcdDr.Etcd;

/// <summary>
/// TLS material for talking to etcd, as PEM bytes so that it can come from local files or, over SSH,
/// straight from a master into memory without touching the operator's disk.
/// </summary>
/// <param name="CaPem">CA bundle that signs etcd's server certificates. Null: the system trust store.</param>
/// <param name="CertPem">Client certificate (etcd runs with --client-cert-auth on every kubeadm and Kubespray master).</param>
/// <param name="KeyPem">Client key, PKCS#8, PKCS#1 (RSA) or SEC1 (EC).</param>
/// <param name="SkipHostnameCheck">Accept a server certificate whose SANs do not name the endpoint
/// (a chain to the CA is still required). Off by default: etcdctl checks names too.</param>
public sealed record EtcdTls(byte[]? CaPem, byte[]? CertPem, byte[]? KeyPem, bool SkipHostnameCheck = false)
{
    public static EtcdTls FromFiles(string? caFile, string? certFile, string? keyFile, bool skipHostnameCheck = false)
    {
        if ((certFile is null) != (keyFile is null))
            throw new DrException("--cert and --key go together: give both or neither", FailureKind.Usage);
        return new EtcdTls(Read(caFile, "--cacert"), Read(certFile, "--cert"), Read(keyFile, "--key"), skipHostnameCheck);
    }

    private static byte[]? Read(string? path, string flag)
    {
        if (path is null)
            return null;
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DrException($"cannot read {flag} file {path}: {ex.Message}", FailureKind.Usage, ex);
        }
    }

    /// <summary>Loads the CA bundle; an empty or unparsable bundle is an error, never "trust anything".</summary>
    public X509Certificate2Collection? LoadCa()
    {
        if (CaPem is null)
            return null;
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPem(Encoding.ASCII.GetString(CaPem));
        }
        catch (CryptographicException ex)
        {
            throw new DrException($"the CA bundle is not valid PEM: {ex.Message}", FailureKind.Usage, ex);
        }
        if (bundle.Count == 0)
            throw new DrException("the CA bundle holds no certificate", FailureKind.Usage);
        return bundle;
    }

    /// <summary>
    /// Loads the client certificate with its key, refusing a key that belongs to another certificate
    /// and a certificate outside its validity window: etcd would drop the handshake with a bare alert,
    /// and the operator deserves the real reason.
    /// </summary>
    public X509Certificate2? LoadClientCertificate(DateTimeOffset now)
    {
        if (CertPem is null || KeyPem is null)
            return null;
        X509Certificate2 cert;
        try
        {
            cert = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(CertPem), Encoding.ASCII.GetString(KeyPem));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // A key of another certificate surfaces as ArgumentException ("does not match the public key").
            throw new DrException($"client certificate and key do not load as a pair ({ex.Message}); check that --key belongs to --cert", FailureKind.Usage, ex);
        }
        if (cert.NotAfter.ToUniversalTime() < now.UtcDateTime)
            throw new DrException($"client certificate '{cert.Subject}' expired on {cert.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; renew it (kubeadm certs renew, or Kubespray's etcd certs) or point --cert at a current one", FailureKind.Unreachable);
        if (cert.NotBefore.ToUniversalTime() > now.UtcDateTime)
            throw new DrException($"client certificate '{cert.Subject}' is not valid before {cert.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; check this machine's clock", FailureKind.Unreachable);
        return cert;
    }
}
