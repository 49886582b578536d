using System.Net;
using Amazon.Runtime;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// s3rver (an S3-compatible server from npm) on 127.0.0.1 with a free port and a private data folder,
/// with one bucket made at startup. It knows one access key (S3RVER) and refuses others, but it
/// does not verify SigV4 signatures, nor implement AbortMultipartUpload or ListMultipartUploads.
/// </summary>
public sealed class S3rver : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly BackgroundServer _server;
    private readonly TempDirectory _directory;

    private S3rver(BackgroundServer server, TempDirectory directory, Uri endpoint, string bucket)
    {
        _server = server;
        _directory = directory;
        Endpoint = endpoint;
        Bucket = bucket;
    }

    public Uri Endpoint { get; }
    public string Bucket { get; }

    /// <summary>The data folder: buckets are subfolders; unfinished multipart uploads stay in them.</summary>
    public string DataDirectory => _directory.Combine("data");

    public static AWSCredentials Credentials => new BasicAWSCredentials(AccessKey, SecretKey);

    public static async Task<S3rver> StartAsync(string bucket = "backups", CancellationToken ct = default)
    {
        var node = NodeTools.Node;
        var script = NodeTools.S3rverScript;
        var directory = TempDirectory.Create("s3rver");
        try
        {
            var data = directory.CreateSubdirectory("data");
            var port = LoopbackAddresses.FreePort(IPAddress.Loopback);
            var server = await BackgroundServer.StartAsync(node,
                ["--openssl-legacy-provider", script, "--address", "127.0.0.1", "--port", port.ToString(), "--directory", data, "--silent", "--configure-bucket", bucket],
                port, TimeSpan.FromSeconds(30), ct);
            return new S3rver(server, directory, new Uri($"http://127.0.0.1:{port}"), bucket);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public S3StoreOptions Options(string prefix, AWSCredentials? credentials = null, string? bucket = null) =>
        new(bucket ?? Bucket, S3StoreOptions.NormalizePrefix(prefix))
        {
            Endpoint = Endpoint,
            Credentials = credentials ?? Credentials,
            PartSize = S3StoreOptions.MinimumPartSize,
            ListPageSize = 2,
        };

    /// <summary>The URL the CLI would be given.</summary>
    public string Url(string prefix) => $"s3://{Bucket}/{prefix}?endpoint={Endpoint}&region=us-east-1";

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>One s3rver for a test class.</summary>
public sealed class S3rverFixture : IAsyncLifetime
{
    private S3rver? _server;

    public S3rver Server => _server ?? throw new InvalidOperationException("s3rver did not start");

    public async Task InitializeAsync() => _server = await S3rver.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
