using System.Net;
using System.Net.Sockets;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder that caps the server-to-client rate. etcd streams a snapshot over
/// loopback in a fraction of a second, too fast to stop a save half-way on purpose; behind this
/// the same real etcd and the same real client take seconds, so a test can act while the upload
/// runs. Plain TCP: h2c passes through untouched (a TLS endpoint's certificate would not name it).
/// </summary>
public sealed class ThrottledTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly long _bytesPerSecond;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;

    private ThrottledTcpProxy(TcpListener listener, IPEndPoint target, long bytesPerSecond)
    {
        _listener = listener;
        _target = target;
        _bytesPerSecond = bytesPerSecond;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>http://127.0.0.1:PORT, to give the client instead of the real endpoint.</summary>
    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Forwards to <paramref name="targetUrl"/> (http://IP:PORT), at most <paramref name="bytesPerSecond"/> towards the client.</summary>
    public static ThrottledTcpProxy Start(string targetUrl, long bytesPerSecond)
    {
        var uri = new Uri(targetUrl);
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new ThrottledTcpProxy(listener, new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port), bytesPerSecond);
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
                var up = PumpAsync(client.GetStream(), server.GetStream(), limit: null);
                var down = PumpAsync(server.GetStream(), client.GetStream(), _bytesPerSecond);
                await Task.WhenAny(up, down);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // A side went away: both sockets close with this connection.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, long? limit)
    {
        var buffer = new byte[16 * 1024];
        var started = Environment.TickCount64;
        long sent = 0;
        try
        {
            int n;
            while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                sent += n;
                if (limit is { } rate)
                {
                    // Sleep until the bytes sent so far are within the budget of the time elapsed.
                    var due = sent * 1000 / rate - (Environment.TickCount64 - started);
                    if (due > 0)
                        await Task.Delay(TimeSpan.FromMilliseconds(due), _stop.Token);
                }
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
