using Amazon.Runtime;

namespace EtcdDr.Storage;

/// <summary>
/// Where an <see cref="S3Store"/> writes: <c>s3://bucket/prefix?endpoint=URL&amp;region=NAME</c>.
/// Credentials are deliberately not part of the URL: null here means the SDK's default chain
/// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE and the shared
/// credentials file, then web identity and instance roles). Tests pass explicit credentials so they
/// never depend on process-wide environment variables.
/// </summary>
public sealed record S3StoreOptions(string Bucket, string Prefix)
{
    /// <summary>S3's smallest part size for every part but the last.</summary>
    public const int MinimumPartSize = 5 << 20;

    /// <summary>An S3-compatible server (MinIO, Ceph RGW, s3rver); null for AWS itself.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>Signing region; from the URL, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.</summary>
    public string Region { get; init; } = "us-east-1";

    public AWSCredentials? Credentials { get; init; }

    /// <summary>Bytes per multipart part. 16 MiB x S3's 10,000 parts allows objects up to ~160 GB.</summary>
    public int PartSize { get; init; } = 16 << 20;

    /// <summary>Keys per ListObjectsV2 page (S3 caps it at 1000); small in tests to exercise pagination.</summary>
    public int ListPageSize { get; init; } = 1000;

    /// <summary>
    /// For messages: keys are appended to it, so it ends with '/' (or is the bucket root). With a
    /// custom endpoint it is the path-style URL the objects live at (endpoint/bucket/prefix/), so two
    /// servers holding the same bucket and prefix never read alike.
    /// </summary>
    public string Description => Endpoint is { } endpoint
        ? $"{endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/')}/{Bucket}/{Prefix}"
        : $"s3://{Bucket}/{Prefix}";

    public static S3StoreOptions FromUrl(StoreUrl url)
    {
        ArgumentNullException.ThrowIfNull(url);
        Uri? endpoint = null;
        if (url.Query.TryGetValue("endpoint", out var text))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
                throw new DrException($"{url.Original}: endpoint '{text}' is not an http(s) URL", FailureKind.Usage);
        }
        var region = url.Query.GetValueOrDefault("region")
            ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_REGION"))
            ?? NonEmpty(Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"))
            ?? "us-east-1";
        return new S3StoreOptions(url.Host, NormalizePrefix(url.Path))
        {
            Endpoint = endpoint,
            Region = region,
        };
    }

    /// <summary>"/some/prefix" becomes "some/prefix/"; "/" or "" becomes "" (the bucket root).</summary>
    public static string NormalizePrefix(string path)
    {
        var trimmed = path.Trim('/');
        return trimmed.Length == 0 ? "" : trimmed + "/";
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
