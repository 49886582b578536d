using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;

namespace EtcdDr.Etcd;

/// <summary>
/// gRPC over HttpClient's HTTP/2: h2c with prior knowledge for http:// endpoints, TLS with ALPN h2
/// and an optional client certificate for https://. One channel serves every endpoint of a cluster
/// (SocketsHttpHandler keeps one connection per authority). The gRPC client libraries do not
/// restore from the package source here (DESIGN.md section 2), and etcd needs only unary calls and
/// server streams, which plain HTTP/2 requests carry.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _hasClientCertificate;
    private readonly TlsFailureLog _tlsFailures = new();
    private readonly TimeSpan _dialTimeout;

    public GrpcChannel(EtcdConnectionOptions options, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        _dialTimeout = options.EffectiveDialTimeout;
        var handler = new SocketsHttpHandler
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
        if (options.ConnectVia is { Count: > 0 } via)
            handler.ConnectCallback = (context, ct) => TunnelConnect.ConnectAsync(context, via, ct);
        if (options.Tls is { } tls)
        {
            var ca = tls.LoadCa();
            var clientCert = tls.LoadClientCertificate(now);
            _hasClientCertificate = clientCert is not null;
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [SslApplicationProtocol.Http2],
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificates = clientCert is null ? null : new X509CertificateCollection { clientCert },
                LocalCertificateSelectionCallback = clientCert is null ? null : (_, _, _, _, _) => clientCert,
                RemoteCertificateValidationCallback = (sender, cert, sentChain, errors) =>
                    ServerCertificateCheck.Accept(sender, cert, sentChain, errors, ca, tls.SkipHostnameCheck, _tlsFailures),
            };
        }
        _http = new HttpClient(handler, disposeHandler: true)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            // Deadlines are ours (grpc-timeout plus a linked token); HttpClient's would cut long streams.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>
    /// Sends one request and reads one response message. <paramref name="deadline"/> goes to the
    /// server as grpc-timeout; our own limit adds the dial timeout, so that a connect that times out
    /// is reported as such (the request never left: any call may fail over) instead of racing the
    /// call's deadline and looking like a member that took the request and went quiet.
    /// </summary>
    public async Task<TResponse> UnaryAsync<TResponse>(Uri endpoint, string method, IMessage request,
        MessageParser<TResponse> parser, TimeSpan deadline, string? authToken, CancellationToken ct)
        where TResponse : IMessage<TResponse>
    {
        var name = EtcdConnectionOptions.Name(endpoint);
        var limit = deadline + _dialTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        try
        {
            using var call = await StartAsync(endpoint, method, request, deadline, authToken, ct, timeout.Token).ConfigureAwait(false);
            var first = await call.ReadMessageAsync(timeout.Token).ConfigureAwait(false)
                ?? throw call.StatusOrMissing("the server sent no response message");
            var response = ParseReply(parser, first, method, name);
            // Drain to the trailers so that a non-OK status after the message is not missed.
            if (await call.ReadMessageAsync(timeout.Token).ConfigureAwait(false) is not null)
                throw new GrpcException(GrpcStatusCode.Internal, "a unary call returned more than one message", name);
            return response;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new GrpcException(GrpcStatusCode.DeadlineExceeded, $"no answer to {method} within {Seconds(limit)} s", name);
        }
    }

    /// <summary>A reply that does not parse is the member's fault (or the wire's): DataLoss, which
    /// fails over, never an unexpected exception.</summary>
    internal static T ParseReply<T>(MessageParser<T> parser, ReadOnlyMemory<byte> message, string method, string endpoint)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(message.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new GrpcException(GrpcStatusCode.DataLoss, $"malformed {method[(method.LastIndexOf('/') + 1)..]} reply ({ex.Message})", endpoint, ex);
        }
    }

    /// <summary>
    /// Starts a server-streaming call. Read messages from the returned call until it returns null;
    /// the final status is checked then. The response headers must arrive within
    /// <paramref name="headersTimeout"/> (plus the dial timeout): a member that accepts the
    /// connection and never answers would otherwise hold the call forever. After that each read is
    /// bounded by <paramref name="idleTimeout"/>.
    /// </summary>
    public async Task<GrpcServerStream> ServerStreamAsync(Uri endpoint, string method, IMessage request,
        TimeSpan headersTimeout, TimeSpan idleTimeout, string? authToken, CancellationToken ct)
    {
        var limit = headersTimeout + _dialTimeout;
        // Disposed, never cancelled, once the headers are in: the stream's own reads take over.
        using var headers = CancellationTokenSource.CreateLinkedTokenSource(ct);
        headers.CancelAfter(limit);
        try
        {
            var call = await StartAsync(endpoint, method, request, deadline: null, authToken, ct, headers.Token).ConfigureAwait(false);
            call.IdleTimeout = idleTimeout;
            return call;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new GrpcException(GrpcStatusCode.DeadlineExceeded,
                $"no answer to {method} within {Seconds(limit)} s (the connection was accepted, nothing came back)", EtcdConnectionOptions.Name(endpoint));
        }
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="callerCt">The caller's own cancellation: only it means "interrupted".</param>
    /// <param name="ct">The caller's token linked with our deadline.</param>
    /// <param name="authToken">etcd's auth token (from Auth.Authenticate), sent as the "token" metadata header.</param>
    private async Task<GrpcServerStream> StartAsync(Uri endpoint, string method, IMessage request, TimeSpan? deadline,
        string? authToken, CancellationToken callerCt, CancellationToken ct)
    {
        var name = EtcdConnectionOptions.Name(endpoint);
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, method))
        {
            Content = new ByteArrayContent(GrpcFraming.Frame(request.ToByteArray())),
            // A request message does not inherit the client's default version; without these it goes
            // out as HTTP/1.1 and etcd's HTTP gateway answers 404.
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        message.Headers.TryAddWithoutValidation("te", "trailers");
        if (deadline is { } d)
            message.Headers.TryAddWithoutValidation("grpc-timeout", GrpcTimeout.Format(d));
        if (authToken is { Length: > 0 })
            message.Headers.TryAddWithoutValidation("token", authToken);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or AuthenticationException)
        {
            var notSent = ex is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.SecureConnectionError or HttpRequestError.NameResolutionError };
            throw TransportFailure(name, ex, notSent);
        }
        catch (OperationCanceledException ex) when (!callerCt.IsCancellationRequested && ex.InnerException is TimeoutException)
        {
            // SocketsHttpHandler reports its ConnectTimeout (TCP and TLS) as a cancellation with a
            // TimeoutException inside; it is an unreachable member, and the request never left.
            throw new GrpcException(GrpcStatusCode.Unavailable, $"no connection within {Seconds(_dialTimeout)} s (--dial-timeout): is the address right and the port open?", name, ex, requestNotSent: true);
        }

        try
        {
            if (response.StatusCode != HttpStatusCode.OK)
                throw new GrpcException(HttpStatusMapping(response.StatusCode), $"HTTP {(int)response.StatusCode} instead of a gRPC answer (is this an etcd client URL?)", name);
            // "Trailers-only": an error answered in the headers, with no body.
            if (GrpcServerStream.StatusFrom(response.Headers, name) is { } early)
                throw early;
            var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            return new GrpcServerStream(response, body, name, this);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Turns a connect/TLS/stream failure into an Unavailable status that says which.</summary>
    internal GrpcException TransportFailure(string endpoint, Exception ex, bool requestNotSent = false)
    {
        var host = Uri.TryCreate(endpoint, UriKind.Absolute, out var u) ? u.Host : endpoint;
        var https = u?.Scheme == Uri.UriSchemeHttps;
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
            TimeoutException => "connect timed out",
            _ when _tlsFailures.Take(host) is { } tlsReason => $"TLS: {tlsReason}",
            // With TLS 1.3 the server judges our certificate after the client considers the handshake
            // done, so a refusal arrives as a connection closed before HTTP/2 could start.
            _ when https && IsHandshakeFailure(ex) && _hasClientCertificate =>
                "the server closed the connection during TLS/HTTP/2 set-up: it most likely refused our client certificate (signed by a CA it does not trust, expired, or not for client auth)",
            _ when https && IsHandshakeFailure(ex) => "the server closed the connection during TLS set-up; does it require a client certificate (--cert/--key)?",
            // Plain h2c to a TLS port: the TCP connect worked, then no HTTP/2 came back (how that
            // surfaces varies with timing: a handshake error, an ended response, a protocol error).
            _ when !https && (IsHandshakeFailure(ex) || ex is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse or HttpRequestError.HttpProtocolError or HttpRequestError.Unknown }) =>
                "the server did not speak plain HTTP/2 (gRPC); if it serves TLS, use an https:// endpoint and --cacert",
            _ => FirstLine(root.Message),
        };

        return new GrpcException(GrpcStatusCode.Unavailable, detail, endpoint, ex, requestNotSent);
    }

    /// <summary>TLS failed, or the connection died before HTTP/2 started (no response at all).</summary>
    private static bool IsHandshakeFailure(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException || e is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError or HttpRequestError.HttpProtocolError })
                return true;
            if (e is IOException && e.Message.Contains("HTTP/2", StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    private static GrpcStatusCode HttpStatusMapping(HttpStatusCode code) => code switch
    {
        HttpStatusCode.BadRequest => GrpcStatusCode.Internal,
        HttpStatusCode.Unauthorized => GrpcStatusCode.Unauthenticated,
        HttpStatusCode.Forbidden => GrpcStatusCode.PermissionDenied,
        HttpStatusCode.NotFound => GrpcStatusCode.Unimplemented,
        HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout => GrpcStatusCode.Unavailable,
        _ => GrpcStatusCode.Unknown,
    };

    public void Dispose() => _http.Dispose();
}
