namespace EtcdDr.Remote;

/// <summary>
/// A master whose transport can forward a local Unix socket to a Unix socket on the master (OpenSSH's
/// `-L LOCAL:REMOTE` over the shared connection): how the Docker engine's /var/run/docker.sock is
/// reached without anything listening on TCP.
/// </summary>
public interface IUnixSocketForwardingHost : IRemoteHost
{
    /// <summary>Opens the forward; disposing the result cancels it and removes the local socket file.</summary>
    Task<IUnixSocketForward> ForwardUnixSocketAsync(string remoteSocket, CancellationToken ct);
}

/// <summary>One open forward: <see cref="LocalSocket"/> on this machine reaches the master's socket.</summary>
public interface IUnixSocketForward : IAsyncDisposable
{
    string LocalSocket { get; }
}
