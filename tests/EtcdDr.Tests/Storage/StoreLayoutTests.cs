using EtcdDr.Storage;

namespace EtcdDr.Tests.Storage;

public class StoreLayoutTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 22, 4, 15, 0, TimeSpan.Zero);

    [Fact]
    public void Snapshot_keys_encode_cluster_time_and_revision_and_parse_back()
    {
        var key = StoreLayout.SnapshotKeyFor("prod-eu1", T.ToOffset(TimeSpan.FromHours(2)), 12345, encrypted: true);
        Assert.Equal("prod-eu1/snapshots/20261122T041500Z-rev12345.db.age", key);
        var parsed = StoreLayout.ParseSnapshotKey(key)!;
        Assert.Equal(("prod-eu1", T, 12345L, true), (parsed.Cluster, parsed.CreatedAt, parsed.Revision, parsed.Encrypted));
        Assert.Equal(key + ".manifest.json", parsed.ManifestKey);
    }

    [Fact]
    public void Pki_keys_parse_back_and_nothing_else_does()
    {
        var key = StoreLayout.PkiKeyFor("prod", T);
        Assert.Equal("prod/pki/20261122T041500Z.tar.age", key);
        Assert.Equal(T, StoreLayout.ParsePkiKey(key));
        Assert.Null(StoreLayout.ParsePkiKey(key + StoreLayout.ManifestSuffix));
        Assert.Null(StoreLayout.ParsePkiKey("prod/pki/.etcd-dr-tmp-0123456789ab-20261122T041500Z.tar.age"));
        Assert.Null(StoreLayout.ParsePkiKey(StoreLayout.SnapshotKeyFor("prod", T, 1, encrypted: true)));
    }

    [Theory]
    [InlineData("prod/snapshots/.etcd-dr-tmp-0123456789ab-x.db", true)]
    [InlineData(".etcd-dr-tmp-0123456789ab-x.db", true)]
    [InlineData("prod/snapshots/20261122T041500Z-rev1.db", false)]
    [InlineData("prod/.etcd-dr-tmp-dir/20261122T041500Z-rev1.db", false)]
    public void Temporary_names_are_told_by_their_file_name(string key, bool temporary) => Assert.Equal(temporary, StoreLayout.IsTemporary(key));

    [Fact]
    public void S3_descriptions_tell_endpoints_apart()
    {
        string Describe(string url) => S3StoreOptions.FromUrl(StoreUrl.Parse(url)).Description;
        var a = Describe("s3://backups/etcd?endpoint=https://minio-a.example:9000&region=us-east-1");
        var b = Describe("s3://backups/etcd?endpoint=https://minio-b.example:9000&region=us-east-1");
        Assert.NotEqual(a, b);
        Assert.Equal("https://minio-a.example:9000/backups/etcd/", a);
        Assert.Equal("s3://backups/etcd/", Describe("s3://backups/etcd?region=eu-west-1"));
    }

    [Theory]
    [InlineData("prod/snapshots/20261122T041500Z-rev1.db.manifest.json")]
    [InlineData("prod/snapshots/.etcd-dr-tmp-abc-20261122T041500Z-rev1.db")]
    [InlineData("prod/pki/20261122T041500Z.tar.age")]
    [InlineData("prod/snapshots/notes.txt")]
    public void Other_objects_are_not_snapshots(string key) => Assert.Null(StoreLayout.ParseSnapshotKey(key));

    [Fact]
    public void Keys_sort_by_time_as_strings()
    {
        var earlier = StoreLayout.SnapshotKeyFor("c", T, 99999, false);
        var later = StoreLayout.SnapshotKeyFor("c", T.AddSeconds(1), 1, false);
        Assert.True(string.CompareOrdinal(earlier, later) < 0);
    }

    [Fact]
    public void Pki_keys() => Assert.Equal("c/pki/20261122T041500Z.tar.age", StoreLayout.PkiKeyFor("c", T));

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    public void Cluster_names_cannot_escape_the_layout(string cluster) =>
        Assert.Throws<DrException>(() => StoreLayout.SnapshotKeyFor(cluster, T, 1, false));

    [Theory]
    [InlineData("s3://backups/etcd?endpoint=http://127.0.0.1:9000", "s3", "backups", "/etcd")]
    [InlineData("/var/backups/etcd", "file", "", "/var/backups/etcd")]
    [InlineData("ssh://ops@backup-1:2222/srv/etcd", "ssh", "backup-1", "/srv/etcd")]
    [InlineData("azblob://acct/container/prefix", "azblob", "acct", "/container/prefix")]
    public void Urls_parse(string text, string scheme, string host, string path)
    {
        var url = StoreUrl.Parse(text);
        Assert.Equal((scheme, host, path), (url.Scheme, url.Host, url.Path));
    }

    [Theory]
    [InlineData("s3://key:secret@bucket/x", "never in the URL")]
    [InlineData("ftp://x/y", "unknown destination scheme")]
    [InlineData("azblob://acct", "no container")]
    public void Bad_urls_are_refused(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<DrException>(() => StoreUrl.Parse(text)).Message);

    [Fact]
    public void Query_strings_are_redacted_in_descriptions() =>
        Assert.Equal("s3://b/p?…", StoreUrl.Parse("s3://b/p?endpoint=http://x&sig=secret").Original);
}
