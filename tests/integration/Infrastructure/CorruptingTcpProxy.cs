using System.Net;
using System.Net.Sockets;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder that flips one byte of what the server sends: the byte in the middle of
/// the first run of <see cref="RunLength"/> copies of <see cref="Marker"/> on each connection. Put a
/// value made of that byte into etcd and the run turns up only inside the snapshot's blob data (an
/// HTTP/2 or gRPC frame header would break the run), so the stream stays well-formed and only
/// etcd's SHA-256 trailer can tell: a member whose disk or memory hands out a bad page.
/// Plain TCP, so for h2c endpoints.
/// </summary>
public sealed class CorruptingTcpProxy : IAsyncDisposable
{
    public const byte Marker = (byte)'Z';
    public const int RunLength = 4096;

    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private int _flipped;

    private CorruptingTcpProxy(TcpListener listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>http://127.0.0.1:PORT, to give the client instead of the real endpoint.</summary>
    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>How many bytes were flipped so far (one per connection that carried the run).</summary>
    public int Flipped => Volatile.Read(ref _flipped);

    public static CorruptingTcpProxy Start(string targetUrl)
    {
        var uri = new Uri(targetUrl);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new CorruptingTcpProxy(listener, new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port));
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_pumps)
                    _pumps.Add(ServeAsync(client));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), corrupt: false);
                var down = PumpAsync(server.GetStream(), client.GetStream(), corrupt: true);
                await Task.WhenAny(up, down);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // A side went away: both sockets close with this connection.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool corrupt)
    {
        var buffer = new byte[64 * 1024];
        var run = 0;
        var done = !corrupt;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
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
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            // The connection ended.
        }
        finally
        {
            try
            {
                to.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] pumps;
        lock (_pumps)
            pumps = [.. _pumps];
        await Task.WhenAll(pumps);
        _stop.Dispose();
    }
}
