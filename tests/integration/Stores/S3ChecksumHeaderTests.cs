using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// What S3Store actually puts on the wire for PutObject and UploadPart. s3rver checks neither
/// Content-MD5 nor x-amz-checksum-sha256, so a capturing listener that answers like S3 is the only
/// way to prove real S3 gets both (it verifies them) with chunk encoding off. The request code is the
/// same for AWS and custom endpoints; only the host differs.
/// </summary>
public sealed class S3ChecksumHeaderTests
{
    private sealed record Captured(string Method, string Query, Dictionary<string, string> Headers, byte[] Body);

    /// <summary>A one-bucket S3 imitation on 127.0.0.1 that records every request.</summary>
    private sealed class CapturingS3 : IDisposable
    {
        private readonly HttpListener _listener;
        private readonly Task _loop;

        public CapturingS3()
        {
            // A free port can be taken between the probe and the bind by a parallel test: try again.
            for (var attempt = 1; ; attempt++)
            {
                var port = LoopbackAddresses.FreePort(IPAddress.Loopback);
                Endpoint = new Uri($"http://127.0.0.1:{port}/");
                _listener = new HttpListener();
                _listener.Prefixes.Add(Endpoint.ToString());
                try
                {
                    _listener.Start();
                    break;
                }
                catch (HttpListenerException) when (attempt < 5)
                {
                    _listener.Abort();
                }
            }
            _loop = Task.Run(ServeAsync);
        }

        public Uri Endpoint { get; }
        public ConcurrentQueue<Captured> Requests { get; } = new();

        private async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await _listener.GetContextAsync();
                }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                var headers = context.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!.ToLowerInvariant(), k => context.Request.Headers[k]!);
                var query = context.Request.Url!.Query;
                Requests.Enqueue(new Captured(context.Request.HttpMethod, query, headers, body.ToArray()));
                var response = context.Response;
                response.ContentType = "application/xml";
                string xml = "";
                if (context.Request.HttpMethod == "POST" && query.Contains("uploads", StringComparison.Ordinal))
                    xml = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>upload-1</UploadId></InitiateMultipartUploadResult>";
                else if (context.Request.HttpMethod == "POST")
                    xml = "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><ETag>\"done\"</ETag></CompleteMultipartUploadResult>";
                else if (context.Request.HttpMethod == "PUT")
                    response.AddHeader("ETag", $"\"{Convert.ToHexStringLower(MD5.HashData(body.ToArray()))}\"");
                var bytes = Encoding.UTF8.GetBytes(xml);
                response.ContentLength64 = bytes.Length;
                await response.OutputStream.WriteAsync(bytes);
                response.Close();
            }
        }

        public void Dispose()
        {
            // Close alone: Stop then Close makes the managed listener re-bind the port to unbind it,
            // which fails when another test has the port by then.
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }

    private static S3Store Store(CapturingS3 s3) => new(new S3StoreOptions("b", "etcd/")
    {
        Endpoint = s3.Endpoint,
        Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret"),
        PartSize = S3StoreOptions.MinimumPartSize,
    });

    private static void AssertChecksummed(Captured request)
    {
        var md5 = Convert.ToBase64String(MD5.HashData(request.Body));
        var sha = SHA256.HashData(request.Body);
        Assert.True(request.Headers.TryGetValue("content-md5", out var sentMd5), $"{request.Method} {request.Query}: no Content-MD5");
        Assert.Equal(md5, sentMd5);
        Assert.True(request.Headers.TryGetValue("x-amz-checksum-sha256", out var sentSha), $"{request.Method} {request.Query}: no x-amz-checksum-sha256");
        Assert.Equal(Convert.ToBase64String(sha), sentSha);
        // Chunk encoding off: the body is the bytes themselves, and SigV4 signs their hash.
        Assert.Equal(Convert.ToHexStringLower(sha), request.Headers["x-amz-content-sha256"]);
        Assert.False(request.Headers.TryGetValue("content-encoding", out var encoding) && encoding.Contains("aws-chunked", StringComparison.Ordinal));
        Assert.Equal(request.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["content-length"]);
    }

    [Fact]
    public async Task PutObject_carries_content_md5_and_sha256_of_its_body()
    {
        using var s3 = new CapturingS3();
        using var store = Store(s3);
        var data = RandomNumberGenerator.GetBytes(1000);
        await store.WriteAsync("small.db", (stream, ct) => stream.WriteAsync(data, ct).AsTask(), default);

        var put = Assert.Single(s3.Requests, r => r.Method == "PUT");
        Assert.Equal(data, put.Body);
        AssertChecksummed(put);
    }

    [Fact]
    public async Task Every_UploadPart_carries_content_md5_and_sha256_of_its_part()
    {
        using var s3 = new CapturingS3();
        using var store = Store(s3);
        var data = RandomNumberGenerator.GetBytes(S3StoreOptions.MinimumPartSize * 2 + 12345);
        await store.WriteAsync("big.db", (stream, ct) => stream.WriteAsync(data, ct).AsTask(), default);

        var parts = s3.Requests.Where(r => r.Method == "PUT").OrderBy(r => r.Query, StringComparer.Ordinal).ToList();
        Assert.Equal(3, parts.Count);
        Assert.All(parts, p => Assert.Contains("uploadId=upload-1", p.Query, StringComparison.Ordinal));
        Assert.Equal(data, parts.SelectMany(p => p.Body).ToArray());
        Assert.All(parts, AssertChecksummed);
        var initiate = Assert.Single(s3.Requests, r => r.Method == "POST" && r.Query.Contains("uploads", StringComparison.Ordinal));
        // The upload is created for SHA-256, so S3 keeps a checksum of the part checksums.
        Assert.Equal("SHA256", initiate.Headers["x-amz-checksum-algorithm"]);
        var complete = Assert.Single(s3.Requests, r => r.Method == "POST" && !r.Query.Contains("uploads", StringComparison.Ordinal));
        var completeXml = Encoding.UTF8.GetString(complete.Body);
        foreach (var part in parts)
            Assert.Contains($"<ChecksumSHA256>{Convert.ToBase64String(SHA256.HashData(part.Body))}</ChecksumSHA256>", completeXml, StringComparison.Ordinal);
    }
}
