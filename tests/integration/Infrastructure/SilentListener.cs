using System.Net;
using System.Net.Sockets;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP port that accepts connections and never sends a byte: a member whose process is wedged
/// (or a firewall that lets SYNs through to a dead service). Bound to an address of its own in a
/// random 127.A.B.x block, never 127.0.0.x (the lab's).
/// </summary>
public sealed class SilentListener : IDisposable
{
    private readonly TcpListener _listener;
    private readonly List<Socket> _accepted = [];
    private readonly CancellationTokenSource _stop = new();

    private SilentListener(IPAddress address)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        var port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Authority = $"{address}:{port}";
        _ = AcceptLoopAsync();
    }

    /// <summary>"127.A.B.1:port".</summary>
    public string Authority { get; }

    public int Accepted { get { lock (_accepted) return _accepted.Count; } }

    public static SilentListener Start() => new(LoopbackAddresses.AllocateCluster(1)[0].Address);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_accepted)
                    _accepted.Add(socket); // kept open, never read or written
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_accepted)
        {
            foreach (var socket in _accepted)
                socket.Dispose();
        }
        _stop.Dispose();
    }
}
