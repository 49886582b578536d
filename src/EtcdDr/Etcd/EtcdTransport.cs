using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace EtcdDr.Etcd;

/// <summary>
/// Grpc.Net.Client channels over one <see cref="SocketsHttpHandler"/> of ours, one channel and one
/// dotnet-etcd client per endpoint. Per endpoint because etcd's calls are member-specific (Status,
/// Snapshot, HashKV, Defragment) and its "simple" auth tokens are too; the fail-over order is ours
/// (EtcdClient), not a load balancer's. dotnet-etcd's own multi-endpoint constructor round-robins
/// and retries Unavailable up to five times, which would send a second MemberAdd and hide which
/// member failed. The handler is ours for what users rely on: client certificates held in memory,
/// our server certificate check with reasons, the SSH-tunnel connect path, dial timeout, HTTP/2
/// windows and keep-alive pings.
/// </summary>
internal sealed class EtcdTransport : IDisposable
{
    /// <summary>Largest reply we accept (Grpc.Net.Client's default is 4 MiB; a canary prefix range
    /// or a big member list may be larger). etcd's snapshot chunks are 32 KiB.</summary>
    public const int MaxMessageSize = 64 * 1024 * 1024;

    private readonly SocketsHttpHandler _handler;
    private readonly ConcurrentDictionary<string, Lazy<Endpoint>> _endpoints = new(StringComparer.OrdinalIgnoreCase);
    private readonly bool _hasClientCertificate;
    private readonly TlsFailureLog _tlsFailures = new();

    public EtcdTransport(EtcdConnectionOptions options, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        DialTimeout = options.EffectiveDialTimeout;
        _handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.EffectiveDialTimeout,
            InitialHttp2StreamWindowSize = options.Http2StreamWindow,
            EnableMultipleHttp2Connections = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            // etcd answers in one connection; a ping keeps NAT and SSH tunnels from dropping a quiet stream.
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            UseProxy = false,
        };
        // Always ours, tunnel or not: with a ConnectCallback set, Grpc.Net.Client leaves connecting
        // to SocketsHttpHandler instead of its own subchannel balancer, which dials the socket itself
        // (an SSH tunnel's local end would be bypassed), reports a refused connect as a bare
        // SocketException, and keeps a dead endpoint in reconnect back-off between calls.
        var via = options.ConnectVia ?? new Dictionary<string, DnsEndPoint>();
        _handler.ConnectCallback = (context, ct) => TunnelConnect.ConnectAsync(context, via, ct);
        if (options.Tls is { } tls)
        {
            var ca = tls.LoadCa();
            var clientCert = tls.LoadClientCertificate(now);
            _hasClientCertificate = clientCert is not null;
            _handler.SslOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = clientCert is null ? null : new X509CertificateCollection { clientCert },
                LocalCertificateSelectionCallback = clientCert is null ? null : (_, _, _, _, _) => clientCert,
                RemoteCertificateValidationCallback = (sender, cert, sentChain, errors) =>
                    ServerCertificateCheck.Accept(sender, cert, sentChain, errors, ca, tls.SkipHostnameCheck, _tlsFailures),
            };
        }
    }

    public TimeSpan DialTimeout { get; }

    /// <summary>One endpoint's channel and the dotnet-etcd client on it.</summary>
    public sealed record Endpoint(string Name, GrpcChannel Channel, dotnet_etcd.EtcdClient Client, CallInvoker Invoker);

    public Endpoint For(Uri endpoint)
    {
        var name = EtcdConnectionOptions.Name(endpoint);
        return _endpoints.GetOrAdd(name, n => new Lazy<Endpoint>(() => Create(n))).Value;
    }

    private Endpoint Create(string name)
    {
        var channel = GrpcChannel.ForAddress(name, new GrpcChannelOptions
        {
            HttpHandler = _handler,
            DisposeHttpClient = false, // one handler serves every endpoint; disposed with the transport
            MaxReceiveMessageSize = MaxMessageSize,
            // Our fail-over decides what is retried (a second MemberAdd must never go out by itself).
            MaxRetryAttempts = 0,
            // The caller's Ctrl-C stays an OperationCanceledException, as everywhere else in the tool.
            ThrowOperationCanceledOnCancellation = true,
        });
        var invoker = channel.CreateCallInvoker();
        return new Endpoint(name, channel, new dotnet_etcd.EtcdClient(invoker), invoker);
    }

    /// <summary>
    /// The deadline sent with a call: the call's own time plus the dial timeout, so that a connect
    /// that times out is reported as such (the request never left, any call may fail over) instead of
    /// racing the call's deadline and looking like a member that took the request and went quiet.
    /// </summary>
    public DateTime Deadline(TimeSpan callTimeout) => DateTime.UtcNow + callTimeout + DialTimeout;

    public static Metadata? Headers(string? authToken) =>
        authToken is { Length: > 0 } ? new Metadata { { "token", authToken } } : null;

    /// <summary>
    /// Runs one unary call and turns every way it can fail into a <see cref="GrpcException"/> that
    /// names the endpoint; only the caller's own cancellation passes through as such.
    /// </summary>
    public async Task<T> UnaryAsync<T>(Uri endpoint, string method, TimeSpan callTimeout,
        Func<dotnet_etcd.EtcdClient, DateTime, Task<T>> call, CancellationToken ct)
    {
        var target = For(endpoint);
        try
        {
            return await call(target.Client, Deadline(callTimeout)).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Map(ex, target.Name, method, callTimeout + DialTimeout) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The failure as a GrpcException, or null when it is not one of a call's (a bug: let it surface).</summary>
    internal GrpcException? Map(Exception ex, string endpoint, string method, TimeSpan limit)
    {
        var name = method[(method.LastIndexOf('/') + 1)..];
        switch (ex)
        {
            case GrpcException already:
                return already;
            case OperationCanceledException when Chain(ex).Any(e => e is TimeoutException):
                // SocketsHttpHandler's ConnectTimeout (TCP and TLS): an unreachable member, request never sent.
                return TransportFailure(endpoint, ex);
            case OperationCanceledException:
                // Our deadline (ThrowOperationCanceledOnCancellation reports it like a cancel) and not the caller's.
                return new GrpcException(GrpcStatusCode.DeadlineExceeded, $"no answer to {method} within {Seconds(limit)} s", endpoint, ex);
            case RpcException rpc when rpc.Status.DebugException is Google.Protobuf.InvalidProtocolBufferException:
                // A reply that does not parse is the member's fault (or the wire's): DataLoss, which
                // fails over. (Checked first: InvalidProtocolBufferException is an IOException.)
                return new GrpcException(GrpcStatusCode.DataLoss, $"malformed {name} reply ({rpc.Status.DebugException.Message})", endpoint, rpc);
            case RpcException rpc when rpc.Status.DebugException is { } cause && IsTransport(cause):
                return TransportFailure(endpoint, cause);
            case RpcException { StatusCode: StatusCode.DeadlineExceeded } rpc when rpc.Status.Detail == "Deadline Exceeded":
                return new GrpcException(GrpcStatusCode.DeadlineExceeded, $"no answer to {method} within {Seconds(limit)} s", endpoint, rpc);
            case RpcException { StatusCode: StatusCode.Cancelled } rpc when rpc.Status.Detail.Contains("grpc-status", StringComparison.OrdinalIgnoreCase):
                // A stream that ended without a grpc-status trailer was cut off (a proxy or the member died).
                return new GrpcException(GrpcStatusCode.Unavailable, "the stream ended without a gRPC status (connection cut mid-call?)", endpoint, rpc);
            case RpcException rpc:
                return new GrpcException((GrpcStatusCode)(int)rpc.StatusCode, rpc.Status.Detail is { Length: > 0 } d ? d : rpc.StatusCode.ToString(), endpoint, rpc);
            case Google.Protobuf.InvalidProtocolBufferException bad:
                // Grpc.Net.Client lets a unary reply's parse failure through as it is.
                return new GrpcException(GrpcStatusCode.DataLoss, $"malformed {name} reply ({bad.Message})", endpoint, bad);
            case HttpRequestException or IOException or AuthenticationException:
                return TransportFailure(endpoint, ex);
            default:
                return null;
        }
    }

    private static bool IsTransport(Exception cause)
    {
        for (var e = cause; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or IOException or SocketException or AuthenticationException or TimeoutException or HttpProtocolException)
                return true;
        }
        return false;
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Turns a connect/TLS/stream failure into an Unavailable status that says which.</summary>
    internal GrpcException TransportFailure(string endpoint, Exception ex)
    {
        var host = Uri.TryCreate(endpoint, UriKind.Absolute, out var u) ? u.Host : endpoint;
        var https = u?.Scheme == Uri.UriSchemeHttps;
        // Connect and TLS failures happen before the request leaves: even a non-idempotent call may move on.
        var notSent = Chain(ex).Any(e => e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError })
            || Chain(ex).Any(e => e is TimeoutException);
        var root = ex;
        while (root.InnerException is not null && root is not SocketException)
            root = root.InnerException;
        string detail = root switch
        {
            // A TLS port answering our plain HTTP/2 preface closes on us; if our bytes were still
            // unread, the kernel turns that close into a reset. Either way it is the same mistake.
            SocketException { SocketErrorCode: SocketError.ConnectionReset } when !https =>
                "the server did not speak plain HTTP/2 (gRPC); if it serves TLS, use an https:// endpoint and --cacert",
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused: is etcd running and listening there?",
            SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable } s => $"unreachable ({s.SocketErrorCode})",
            SocketException { SocketErrorCode: SocketError.ConnectionReset } => "connection reset by the server",
            SocketException s => $"socket error {s.SocketErrorCode}",
            // SocketsHttpHandler reports its ConnectTimeout (TCP and TLS) with a TimeoutException inside.
            TimeoutException => $"no connection within {Seconds(DialTimeout)} s (--dial-timeout): is the address right and the port open?",
            _ when _tlsFailures.Take(host) is { } tlsReason => $"TLS: {tlsReason}",
            // With TLS 1.3 the server judges our certificate after the client considers the handshake
            // done, so a refusal arrives as a connection closed before HTTP/2 could start.
            _ when https && IsHandshakeFailure(ex) && _hasClientCertificate =>
                "the server closed the connection during TLS/HTTP/2 set-up: it most likely refused our client certificate (signed by a CA it does not trust, expired, or not for client auth)",
            _ when https && IsHandshakeFailure(ex) => "the server closed the connection during TLS set-up; does it require a client certificate (--cert/--key)?",
            // Plain h2c to a TLS port: the TCP connect worked, then no HTTP/2 came back (how that
            // surfaces varies with timing: a handshake error, an ended response, a protocol error).
            _ when !https && (IsHandshakeFailure(ex) || Chain(ex).Any(e => e is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.Unknown })) =>
                "the server did not speak plain HTTP/2 (gRPC); if it serves TLS, use an https:// endpoint and --cacert",
            _ => FirstLine(root.Message),
        };
        return new GrpcException(GrpcStatusCode.Unavailable, detail, endpoint, ex, notSent);
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            yield return e;
    }

    /// <summary>TLS failed, or the connection died before HTTP/2 started (no response at all).</summary>
    private static bool IsHandshakeFailure(Exception ex) =>
        Chain(ex).Any(e => e is AuthenticationException
            || e is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.HttpProtocolError }
            || (e is IOException && e.Message.Contains("HTTP/2", StringComparison.Ordinal)));

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    public void Dispose()
    {
        foreach (var lazy in _endpoints.Values)
        {
            if (lazy.IsValueCreated)
            {
                lazy.Value.Client.Dispose();
                lazy.Value.Channel.Dispose();
            }
        }
        _handler.Dispose();
    }
}
