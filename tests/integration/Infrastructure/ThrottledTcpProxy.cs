using System.Net.Sockets;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder that caps the server-to-client rate. etcd streams a snapshot over
/// loopback in a fraction of a second, too fast to stop a save half-way on purpose; behind this
/// the same real etcd and the same real client take seconds, so a test can act while the upload
/// runs.
/// </summary>
public sealed class ThrottledTcpProxy : LoopbackTcpRelay
{
    private readonly long _bytesPerSecond;

    private ThrottledTcpProxy(string targetUrl, long bytesPerSecond) : base(targetUrl) => _bytesPerSecond = bytesPerSecond;

    /// <summary>Forwards to <paramref name="targetUrl"/> (http://IP:PORT), at most <paramref name="bytesPerSecond"/> towards the client.</summary>
    public static ThrottledTcpProxy Start(string targetUrl, long bytesPerSecond)
    {
        var proxy = new ThrottledTcpProxy(targetUrl, bytesPerSecond);
        proxy.StartAccepting();
        return proxy;
    }

    protected override async Task CopyAsync(NetworkStream from, NetworkStream to, bool towardClient)
    {
        var buffer = new byte[16 * 1024];
        var started = Environment.TickCount64;
        long sent = 0;
        int n;
        while ((n = await from.ReadAsync(buffer, Stop.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), Stop.Token);
            sent += n;
            if (towardClient)
            {
                // Sleep until the bytes sent so far are within the budget of the time elapsed.
                var due = sent * 1000 / _bytesPerSecond - (Environment.TickCount64 - started);
                if (due > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(due), Stop.Token);
            }
        }
    }
}
