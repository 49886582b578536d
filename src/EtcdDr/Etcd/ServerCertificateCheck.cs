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
    public static bool Accept(object sender, X509Certificate? presented, SslPolicyErrors errors,
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
