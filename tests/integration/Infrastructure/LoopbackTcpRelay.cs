using System.Net;
using System.Net.Sockets;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder to one target (plain TCP, so h2c passes through untouched; a TLS
/// endpoint's certificate would not name it). The plumbing every test proxy shares: the accept
/// loop, one target connection per client, and a stop that waits for every pump. Subclasses say
/// only what happens to the bytes, per direction, in <see cref="PumpAsync"/>.
/// </summary>
public abstract class LoopbackTcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly List<Task> _pumps = [];
    private Task _accepting = Task.CompletedTask;

    protected LoopbackTcpRelay(string targetUrl)
    {
        var uri = new Uri(targetUrl);
        _target = new IPEndPoint(IPAddress.Parse(uri.Host), uri.Port);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
    }

    /// <summary>Cancelled when the relay is disposed.</summary>
    protected CancellationTokenSource Stop { get; } = new();

    /// <summary>http://127.0.0.1:PORT, to give the client instead of the real endpoint.</summary>
    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>Begins accepting; called by the subclass's factory once it is fully constructed.</summary>
    protected void StartAccepting() => _accepting = AcceptLoopAsync();

    /// <summary>Copies <paramref name="from"/> to <paramref name="to"/> until either ends; <paramref name="towardClient"/> says the direction.</summary>
    protected abstract Task CopyAsync(NetworkStream from, NetworkStream to, bool towardClient);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!Stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(Stop.Token);
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
                await server.ConnectAsync(_target, Stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), towardClient: false);
                var down = PumpAsync(server.GetStream(), client.GetStream(), towardClient: true);
                await Task.WhenAny(up, down);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // A side went away: both sockets close with this connection.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, bool towardClient)
    {
        try
        {
            await CopyAsync(from, to, towardClient);
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
        await Stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] pumps;
        lock (_pumps)
            pumps = [.. _pumps];
        await Task.WhenAll(pumps);
        Stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
