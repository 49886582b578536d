namespace EtcdDr.Etcd;

/// <summary>
/// How to reach an etcd cluster. Defaults match etcdctl's where etcdctl has one.
/// </summary>
/// <param name="Endpoints">Client URLs (http:// or https://). Order is the fail-over order for
/// calls that are not pinned to one endpoint.</param>
/// <param name="Tls">Null for plain h2c.</param>
/// <param name="DialTimeout">TCP + TLS connect limit per endpoint (etcdctl: 2 s; ours is longer because
/// SSH tunnels add a round trip).</param>
/// <param name="CallTimeout">Deadline of a unary call, sent as grpc-timeout (etcdctl --command-timeout: 5 s).
/// Streams such as Snapshot have no overall deadline; they fail on <see cref="StreamIdleTimeout"/>.</param>
/// <param name="StreamIdleTimeout">A server stream that sends nothing for this long is treated as dead.</param>
/// <param name="Http2StreamWindow">HTTP/2 receive window per stream, fixed (dynamic window sizing is
/// off, see EtcdDr.csproj). The server can have this many bytes in flight, and whenever we write
/// slower than it sends (always on loopback) they sit in HttpClient's buffer as 16 KiB blocks from
/// the shared ArrayPool. 1 MiB is 64 blocks, which that pool keeps and reuses on 2 cores; with 2 or
/// 4 MiB it overflows, every block past its capacity is a new array, and a 1 GiB snapshot allocated
/// 70-200 MiB and peak RSS grew with the db. Measured on loopback: no throughput difference from
/// 64 KiB to 4 MiB; see docs/benchmarks.md.</param>
/// <param name="ConnectVia">Endpoint authority ("10.0.0.11:2379") to the address actually dialled
/// (an SSH tunnel's local end). The URL, and so TLS name checking, stays that of the member.</param>
/// <param name="Credentials">An etcd user and password for a cluster with authentication enabled;
/// the client authenticates once per endpoint and sends the token with every call.</param>
public sealed record EtcdConnectionOptions(
    IReadOnlyList<Uri> Endpoints,
    EtcdTls? Tls = null,
    TimeSpan? DialTimeout = null,
    TimeSpan? CallTimeout = null,
    TimeSpan? StreamIdleTimeout = null,
    int Http2StreamWindow = 1024 * 1024,
    IReadOnlyDictionary<string, System.Net.DnsEndPoint>? ConnectVia = null,
    EtcdCredentials? Credentials = null)
{
    public TimeSpan EffectiveDialTimeout => DialTimeout ?? TimeSpan.FromSeconds(5);
    public TimeSpan EffectiveCallTimeout => CallTimeout ?? TimeSpan.FromSeconds(5);
    public TimeSpan EffectiveStreamIdleTimeout => StreamIdleTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>An endpoint as people write it: scheme, host and port, no trailing slash.</summary>
    public static string Name(Uri endpoint) => endpoint.GetLeftPart(UriPartial.Authority);

    /// <summary>etcd's client port, used when an endpoint URL names none.</summary>
    public const int DefaultClientPort = 2379;

    /// <summary>Whether the authority of "scheme://authority/..." ends in ":port" (an IPv6 literal's
    /// colons are inside brackets).</summary>
    private static bool HasExplicitPort(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var authority = rest.Split('/', '?', '#')[0];
        var afterHost = authority[(authority.LastIndexOf(']') + 1)..];
        return afterHost.Contains(':', StringComparison.Ordinal);
    }

    /// <summary>Parses a comma-separated endpoint list the way etcdctl does, adding http:// when no scheme is given.</summary>
    public static IReadOnlyList<Uri> ParseEndpoints(IEnumerable<string> raw, bool tls)
    {
        var list = new List<Uri>();
        foreach (var part in raw.SelectMany(r => r.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var text = part.Contains("://", StringComparison.Ordinal) ? part : (tls ? "https://" : "http://") + part;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https") || uri.IsDefaultPort && !part.Contains(':', StringComparison.Ordinal))
                throw new DrException($"'{part}' is not an etcd endpoint; expected host:port or https://host:port", FailureKind.Usage);
            // "https://etcd-1" means etcd's port, as etcdctl dials it, not the scheme's 443 or 80.
            if (uri.IsDefaultPort && !HasExplicitPort(text))
                uri = new UriBuilder(uri) { Port = DefaultClientPort }.Uri;
            list.Add(new Uri(uri.GetLeftPart(UriPartial.Authority)));
        }
        if (list.Count == 0)
            throw new DrException("no etcd endpoint given; use --endpoints https://HOST:2379[,...]", FailureKind.Usage);
        return list;
    }
}
