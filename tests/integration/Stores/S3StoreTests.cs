using Amazon.Runtime;
using Amazon.S3;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>The store contract and S3's own failure modes against s3rver, with 5 MiB parts.</summary>
public sealed class S3StoreTests(S3rverFixture fixture) : StoreContractTests, IClassFixture<S3rverFixture>, IDisposable
{
    private readonly List<S3Store> _stores = [];

    private S3rver Server => fixture.Server;

    protected override ISnapshotStore CreateStore(string prefix) => Track(new S3Store(Server.Options(prefix)));

    protected override int PartSize => S3StoreOptions.MinimumPartSize;

    [Fact]
    public async Task A_failed_large_write_sent_parts_yet_completed_nothing()
    {
        var store = CreateStore($"multipart-{Guid.NewGuid():N}");
        await Assert.ThrowsAsync<IOException>(() => WritePatternAsync(store, "m.db", 4L * PartSize, failAfter: (5L * PartSize) / 2, default));
        Assert.Empty(await store.ListAsync("", default).ToListAsync());
        // s3rver keeps an upload's parts in a folder of its own until the upload completes (it does not
        // implement AbortMultipartUpload; real S3 drops them on abort). The pipe holds two parts, so the
        // writer cannot reach its failure at 2.5 parts before part 1 was taken and sent; whether part 2
        // was read before the failure arrived depends on timing, so only part 1 is certain.
        var upload = Assert.Single(Directory.EnumerateFiles(Server.DataDirectory, "key", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).EndsWith("/m.db", StringComparison.Ordinal))
            .Select(f => Path.GetDirectoryName(f)!));
        Assert.True(File.Exists(Path.Combine(upload, "1")), string.Join(", ", Directory.GetFiles(upload)));
    }

    [Fact]
    public async Task Unknown_access_key_is_refused_on_write_and_nothing_is_stored()
    {
        var store = Track(new S3Store(Server.Options("x", new BasicAWSCredentials("NOBODY", "secret"))));
        var ex = await Assert.ThrowsAsync<DrException>(() => store.WriteAsync("k", (s, ct) => s.WriteAsync(new byte[100], ct).AsTask(), default));
        Assert.Contains("S3 refused the credentials (InvalidAccessKeyId)", ex.Message);
        Assert.Empty(await CreateStore("x").ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task A_missing_bucket_is_a_usage_error()
    {
        var store = Track(new S3Store(Server.Options("x", bucket: "no-such-bucket")));
        var ex = await Assert.ThrowsAsync<DrException>(async () => await store.ListAsync("", default).ToListAsync());
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("bucket 'no-such-bucket' does not exist", ex.Message);
    }

    [Fact]
    public void The_factory_reads_bucket_prefix_endpoint_and_region_from_the_url()
    {
        var options = S3StoreOptions.FromUrl(StoreUrl.Parse("s3://backups/etcd/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1"));
        Assert.Equal(("backups", "etcd/prod/", "eu-west-1", "http://127.0.0.1:9000/"), (options.Bucket, options.Prefix, options.Region, options.Endpoint!.ToString()));
        Assert.Null(options.Credentials);
        // The endpoint is part of what the store is: the same bucket on two servers must not read alike.
        Assert.Equal("http://127.0.0.1:9000/backups/etcd/prod/", options.Description);
        Assert.Equal("s3://backups/etcd/prod/", S3StoreOptions.FromUrl(StoreUrl.Parse("s3://backups/etcd/prod?region=eu-west-1")).Description);
        Assert.IsType<S3Store>(StoreFactory.Open("s3://backups?endpoint=http://127.0.0.1:9000"));
    }

    private AmazonS3Client RawClient() =>
        new(S3rver.Credentials, new AmazonS3Config { ServiceURL = Server.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1" });

    private S3Store Track(S3Store store)
    {
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _stores)
            store.Dispose();
    }
}
