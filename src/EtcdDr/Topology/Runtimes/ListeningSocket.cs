using System.Globalization;
using System.Net;

namespace EtcdDr.Topology.Runtimes;

/// <summary>A host:port etcd (or the API server) is expected to listen on; Host may be a name.</summary>
public sealed record Endpoint(string Host, int Port)
{
    public static Endpoint FromUrl(string url)
    {
        var uri = new Uri(url);
        return new Endpoint(uri.Host.Trim('[', ']'), uri.Port);
    }

    /// <summary>Listening on this very address, on every address, or (for a name we cannot resolve
    /// here) on this port at all.</summary>
    public bool IsServedBy(ListeningSocket socket)
    {
        if (socket.Port != Port)
            return false;
        if (socket.Address is "*" or "0.0.0.0" or "::")
            return true;
        if (!IPAddress.TryParse(Host, out var ip))
            return Host != "localhost" || socket.Address is "127.0.0.1" or "::1";
        return IPAddress.TryParse(socket.Address, out var listening) && listening.Equals(ip);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>One line of `ss -Hltn`: "LISTEN 0 4096 10.0.0.11:2379 0.0.0.0:*".</summary>
public sealed record ListeningSocket(string Address, int Port)
{
    public static IReadOnlyList<ListeningSocket> Parse(string ssOutput)
    {
        var sockets = new List<ListeningSocket>();
        foreach (var line in ssOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4)
                continue;
            var local = fields[3];
            var colon = local.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(local.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
                continue;
            var address = local[..colon].Trim('[', ']');
            var zone = address.IndexOf('%', StringComparison.Ordinal);
            sockets.Add(new ListeningSocket(zone >= 0 ? address[..zone] : address, port));
        }
        return sockets;
    }
}
