using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>One HTTP request as the fake token server saw it.</summary>
public sealed record TokenRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A loopback stand-in for the token services Azure.Identity talks to: the instance metadata service
/// of an Azure VM (plain HTTP, as the real one) or Entra ID's token endpoint (HTTPS, with a test
/// certificate). Minimal HTTP/1.1: one request per connection, Content-Length bodies. Every request is
/// recorded; <c>answer</c> decides the response. Tokens it hands out are JWTs Azurite's `--oauth basic`
/// accepts (storage audience, an Entra issuer, a valid lifetime; the signature is not checked there).
/// </summary>
public sealed class FakeTokenServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly TestCertificate? _tls;
    private readonly Func<TokenRequest, (int Status, string Json)> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly List<TokenRequest> _requests = [];

    private readonly string? _serverHeader;

    /// <param name="serverHeader">The Server header of every answer (the metadata service says IMDS/...).</param>
    public FakeTokenServer(Func<TokenRequest, (int Status, string Json)> answer, TestCertificate? tls = null, string? serverHeader = null)
    {
        _answer = answer;
        _serverHeader = serverHeader;
        _tls = tls;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public Uri BaseUri => new($"{(_tls is null ? "http" : "https")}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public IReadOnlyList<TokenRequest> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>
    /// The VM metadata service as MSAL probes and uses it: a request without `Metadata: true` gets
    /// 400 (how the real one answers, and what MSAL's probe looks for), paths other than the v1
    /// token endpoint 404 (no IMDSv2 here), token requests what <paramref name="token"/> says.
    /// </summary>
    public static FakeTokenServer Imds(Func<TokenRequest, (int Status, string Json)> token) => new(request =>
    {
        if (!request.PathAndQuery.StartsWith("/metadata/identity/oauth2/token", StringComparison.Ordinal))
            return (404, """{"error":"not_found"}""");
        if (!request.Headers.TryGetValue("Metadata", out var metadata) || metadata != "true")
            return (400, """{"error":"invalid_request","error_description":"Required metadata header not specified"}""");
        return token(request);
    }, serverHeader: "IMDS/150.870.65.1854");

    /// <summary>An unsigned JWT with the claims Azure Storage (and Azurite) look at.</summary>
    public static string StorageToken(string tenant, TimeSpan lifetime, string audience = "https://storage.azure.com")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        static string Segment(object value) => Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = Segment(new Dictionary<string, object> { ["alg"] = "RS256", ["typ"] = "JWT" });
        var payload = Segment(new Dictionary<string, object>
        {
            ["aud"] = audience,
            ["iss"] = $"https://sts.windows.net/{tenant}/",
            ["iat"] = now - 60,
            ["nbf"] = now - 60,
            ["exp"] = now + (long)lifetime.TotalSeconds,
            ["tid"] = tenant,
        });
        return $"{header}.{payload}.c2lnbmF0dXJlIG5vdCBjaGVja2Vk";
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_tls is not null)
                {
                    var ssl = new SslStream(stream);
                    await ssl.AuthenticateAsServerAsync(_tls.Certificate);
                    stream = ssl;
                }
                await using (stream)
                {
                    var request = await ReadRequestAsync(stream);
                    lock (_requests)
                        _requests.Add(request);
                    var (status, json) = _answer(request);
                    var body = Encoding.UTF8.GetBytes(json);
                    var server = _serverHeader is null ? "" : $"Server: {_serverHeader}\r\n";
                    var head = $"HTTP/1.1 {status} {(status == 200 ? "OK" : "Error")}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n{server}Connection: close\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
                    await stream.WriteAsync(body);
                    await stream.FlushAsync();
                }
            }
            catch (IOException)
            {
                // A client that hung up: nothing to answer.
            }
            catch (System.Security.Authentication.AuthenticationException)
            {
                // A client that refused our certificate: recorded by its own failure.
            }
        }
    }

    private static async Task<TokenRequest> ReadRequestAsync(Stream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (!(buffer.Count >= 4 && buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one) == 0)
                throw new IOException("closed before the request ended");
            buffer.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var requestLine = lines[0].Split(' ');
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
        var body = "";
        if (headers.TryGetValue("Content-Length", out var length) && int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) is > 0 and var n)
        {
            var bytes = new byte[n];
            await stream.ReadExactlyAsync(bytes);
            body = Encoding.UTF8.GetString(bytes);
        }
        return new TokenRequest(requestLine[0], requestLine[1], headers, body);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
