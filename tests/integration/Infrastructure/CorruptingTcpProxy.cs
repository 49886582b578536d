using System.Net.Sockets;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder that flips one byte of what the server sends: the byte in the middle of
/// the first run of <see cref="RunLength"/> copies of <see cref="Marker"/> on each connection. Put a
/// value made of that byte into etcd and the run turns up only inside the snapshot's blob data (an
/// HTTP/2 or gRPC frame header would break the run), so the stream stays well-formed and only
/// etcd's SHA-256 trailer can tell: a member whose disk or memory hands out a bad page.
/// </summary>
public sealed class CorruptingTcpProxy : LoopbackTcpRelay
{
    public const byte Marker = (byte)'Z';
    public const int RunLength = 4096;

    private int _flipped;

    private CorruptingTcpProxy(string targetUrl) : base(targetUrl)
    {
    }

    /// <summary>How many bytes were flipped so far (one per connection that carried the run).</summary>
    public int Flipped => Volatile.Read(ref _flipped);

    public static CorruptingTcpProxy Start(string targetUrl)
    {
        var proxy = new CorruptingTcpProxy(targetUrl);
        proxy.StartAccepting();
        return proxy;
    }

    protected override async Task CopyAsync(NetworkStream from, NetworkStream to, bool towardClient)
    {
        var buffer = new byte[64 * 1024];
        var run = 0;
        var done = !towardClient;
        int n;
        while ((n = await from.ReadAsync(buffer, Stop.Token)) > 0)
        {
            for (var i = 0; !done && i < n; i++)
            {
                run = buffer[i] == Marker ? run + 1 : 0;
                if (run == RunLength / 2)
                {
                    buffer[i] ^= 0x01;
                    done = true;
                    Interlocked.Increment(ref _flipped);
                }
            }
            await to.WriteAsync(buffer.AsMemory(0, n), Stop.Token);
        }
    }
}
