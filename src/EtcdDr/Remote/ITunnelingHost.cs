namespace EtcdDr.Remote;

/// <summary>
/// A master whose transport can forward a local port to an address the master reaches (OpenSSH's
/// -L over the shared connection), for etcd endpoints the operator's machine cannot dial. A host
/// without this (a recording fake, a future transport) simply has no tunnels.
/// </summary>
public interface ITunnelingHost : IRemoteHost
{
    /// <summary>A local 127.0.0.1 port forwarded to <paramref name="host"/>:<paramref name="port"/> as
    /// seen from the master; it lives as long as the host object.</summary>
    Task<System.Net.DnsEndPoint> ForwardAsync(string host, int port, CancellationToken ct);
}
