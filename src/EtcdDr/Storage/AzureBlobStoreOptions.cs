namespace EtcdDr.Storage;

/// <summary>
/// Where an <see cref="AzureBlobStore"/> writes: <c>azblob://account/container/prefix[?endpoint=URL]</c>.
/// The endpoint defaults to https://ACCOUNT.blob.core.windows.net; for Azurite it is the path-style
/// http://127.0.0.1:10000/devstoreaccount1. Credentials come from the environment on the CLI path
/// (<see cref="AzureCredential.FromEnvironment"/>) and explicitly in tests.
/// </summary>
public sealed record AzureBlobStoreOptions(string Account, string Container, string Prefix, Uri Endpoint, AzureCredential Credential)
{
    /// <summary>Bytes per Put Block. 8 MiB x the service's 50,000 blocks allows ~400 GB per blob.</summary>
    public int BlockSize { get; init; } = 8 << 20;

    /// <summary>Blobs per List Blobs page (the service caps it at 5000); small in tests to exercise markers.</summary>
    public int ListPageSize { get; init; } = 5000;

    /// <summary>
    /// Waits before each retry of a request the service answered 500 or 503 (ServerBusy,
    /// OperationTimedOut: it is throttling or briefly unwell). Every request here is idempotent
    /// (reads, deletes, Put Blob/Block/Block List of the same bytes), so repeating one is safe.
    /// </summary>
    public IReadOnlyList<TimeSpan> RetryDelays { get; init; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(9)];

    /// <summary>For messages: keys are appended to it, so it ends with '/'.</summary>
    public string Description => $"azblob://{Account}/{Container}/{Prefix}";

    public static Uri DefaultEndpoint(string account) => new($"https://{account}.blob.core.windows.net");

    public static AzureBlobStoreOptions FromUrl(StoreUrl url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var segments = url.Path.Trim('/').Split('/', 2);
        var container = segments[0];
        var prefix = S3StoreOptions.NormalizePrefix(segments.Length > 1 ? segments[1] : "");
        var (credential, fromConnectionString) = AzureCredential.FromEnvironment(url.Host);
        Uri? endpoint = null;
        if (url.Query.TryGetValue("endpoint", out var text))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out endpoint) || endpoint.Scheme is not ("http" or "https"))
                throw new DrException($"{url.Original}: endpoint '{text}' is not an http(s) URL", FailureKind.Usage);
        }
        return new AzureBlobStoreOptions(url.Host, container, prefix, endpoint ?? fromConnectionString ?? DefaultEndpoint(url.Host), credential);
    }
}
