namespace EtcdDr.Storage;

/// <summary>
/// Opens the store a URL names. Backends that need more than the URL (credentials, an SSH host)
/// register themselves here, so this file does not grow a dependency on each of them.
/// </summary>
public static class StoreFactory
{
    private static readonly Dictionary<string, Func<StoreUrl, ISnapshotStore>> Backends = new(StringComparer.Ordinal)
    {
        ["file"] = url => new LocalDirStore(url.Path),
        ["ssh"] = url => new SshDirStore(url),
        ["s3"] = S3Store.FromUrl,
        ["azblob"] = AzureBlobStore.FromUrl,
    };

    public static void Register(string scheme, Func<StoreUrl, ISnapshotStore> open) => Backends[scheme] = open;

    public static ISnapshotStore Open(string url) => Open(StoreUrl.Parse(url));

    public static ISnapshotStore Open(StoreUrl url) => BackendFor(url)(url);

    /// <summary>The backend for a URL's scheme, before anything is opened; an unknown one is a usage error.</summary>
    public static Func<StoreUrl, ISnapshotStore> BackendFor(StoreUrl url) =>
        Backends.TryGetValue(url.Scheme, out var open)
            ? open
            : throw new DrException($"{url.Original}: the {url.Scheme}:// backend is not available in this build", FailureKind.Usage);
}
