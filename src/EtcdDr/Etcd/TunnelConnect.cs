using System.Net;
using System.Net.Sockets;

namespace EtcdDr.Etcd;

/// <summary>
/// Dials the local end of an SSH tunnel instead of the member's own address, for the authorities in
/// the map; everything else is dialled as usual.
/// </summary>
internal static class TunnelConnect
{
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, IReadOnlyDictionary<string, DnsEndPoint> via, CancellationToken ct)
    {
        var key = $"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}";
        var target = via.TryGetValue(key, out var tunnel) ? tunnel : context.DnsEndPoint;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, ct).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
