using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace EtcdDr.Etcd;

/// <summary>
/// Verifies etcd's server certificate against the configured CA (not the system store: cluster CAs
/// are private), and remembers why a certificate was refused so the error can say so; the TLS
/// stack itself only reports "the remote certificate is invalid".
/// </summary>
internal static class ServerCertificateCheck
{
    /// <param name="sent">The chain the TLS stack built from what the server sent; its intermediates
    /// let a server certificate signed by an intermediate chain to a --cacert that holds only the root.</param>
    public static bool Accept(object sender, X509Certificate? presented, X509Chain? sent, SslPolicyErrors errors,
        X509Certificate2Collection? ca, bool skipHostnameCheck, TlsFailureLog log)
    {
        var host = (sender as SslStream)?.TargetHostName ?? "";
        if (presented is null)
        {
            log.Record(host, "the server sent no certificate");
            return false;
        }
        if (ca is null)
        {
            if (errors == SslPolicyErrors.None)
                return true;
            log.Record(host, $"server certificate not trusted by the system store ({errors}); pass the cluster CA with --cacert");
            return false;
        }
        using var cert = new X509Certificate2(presented);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (sent is not null)
        {
            // Intermediates only help build a path; trust still comes from the custom root store alone.
            chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
            foreach (var element in sent.ChainElements.Skip(1))
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        if (!chain.Build(cert))
        {
            var why = string.Join(", ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct());
            log.Record(host, $"server certificate '{cert.Subject}' does not chain to the given CA ({why}); is --cacert the cluster's etcd CA?");
            return false;
        }
        if (!skipHostnameCheck && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            log.Record(host, $"server certificate '{cert.Subject}' does not name {host} in its SANs");
            return false;
        }
        return true;
    }
}

/// <summary>The last refusal reason per host, read once by the error path.</summary>
internal sealed class TlsFailureLog
{
    private readonly ConcurrentDictionary<string, string> _reasons = new(StringComparer.OrdinalIgnoreCase);

    public void Record(string host, string reason) => _reasons[host] = reason;

    public string? Take(string host) => _reasons.TryRemove(host, out var reason) ? reason : null;
}
