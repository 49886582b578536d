using System.Runtime.CompilerServices;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace EtcdDr.Storage;

/// <summary>
/// Azure Blob Storage through the Azure SDK (Azure.Storage.Blobs). Objects are block blobs under the
/// URL's path as name prefix. A large object goes up as Stage Block calls, one block at a time while
/// the writer produces the next (<see cref="PartedUpload"/>: memory stays at two blocks whatever the
/// size), and becomes a blob only with the final Commit Block List; uncommitted blocks are never
/// listed and the service discards them after a week, so a failed or cancelled write leaves nothing.
/// We stage blocks ourselves instead of the SDK's Upload(stream) because that commits whatever it
/// read when its stream ends, and a writer that fails must leave no blob. Objects smaller than one
/// block go up in one Upload. Integrity: every body carries an MD5 (the SDK's transfer validation),
/// which the service checks before accepting it. Requests the service answers 500/503 (ServerBusy,
/// OperationTimedOut) or that time out are retried by the SDK's pipeline after
/// <see cref="AzureBlobStoreOptions.RetryDelays"/>; every request here is idempotent.
/// </summary>
public sealed class AzureBlobStore : ISnapshotStore, IDisposable
{
    /// <summary>
    /// Pinned, not the SDK's newest (2026-10-06): the newest Azurite 3.35 (the emulator the tests run
    /// on; 3.36+ needs a Node newer than Debian's) implements, so what ships is what was tested. The
    /// service answers every version it ever released, and nothing used here is newer.
    /// </summary>
    public const BlobClientOptions.ServiceVersion ServiceVersion = BlobClientOptions.ServiceVersion.V2025_11_05;

    private static readonly UploadTransferValidationOptions Md5 = new() { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 };

    private readonly AzureBlobStoreOptions _options;
    private readonly BlobContainerClient _container;
    private readonly HttpClient? _ownedHttp;

    /// <param name="handler">The HTTP handler under the SDK's pipeline and the identity credentials'
    /// token requests (tests: a scripted handler, or one that trusts a test certificate).</param>
    public AzureBlobStore(AzureBlobStoreOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BlockSize is < 1 or > 100 << 20)
            throw new ArgumentOutOfRangeException(nameof(options), "blocks are 1 byte to 100 MiB");
        _options = options;
        _ownedHttp = handler is null ? null : new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        var transport = _ownedHttp is null ? null : new HttpClientTransport(_ownedHttp);
        var clientOptions = new BlobClientOptions(ServiceVersion) { RetryPolicy = new ScheduledRetryPolicy(options.RetryDelays) };
        // Per try: a block of a few MiB, or the headers of a download (its body is streamed).
        clientOptions.Retry.NetworkTimeout = TimeSpan.FromMinutes(2);
        if (transport is not null)
            clientOptions.Transport = transport;
        var containerUri = new Uri($"{options.Endpoint.ToString().TrimEnd('/')}/{Uri.EscapeDataString(options.Container)}");
        _container = options.Credential switch
        {
            AzureCredential.SharedKey key => new BlobContainerClient(containerUri, new StorageSharedKeyCredential(key.Account, Convert.ToBase64String(key.Key)), clientOptions),
            AzureCredential.Sas sas => new BlobContainerClient(containerUri, new AzureSasCredential(sas.Query), clientOptions),
            _ => new BlobContainerClient(containerUri, options.Credential.ToTokenCredential(transport), clientOptions),
        };
    }

    public static AzureBlobStore FromUrl(StoreUrl url) => new(AzureBlobStoreOptions.FromUrl(url));

    public string Description => _options.Description;

    public Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct) =>
        PartedUpload.RunAsync(writer, _options.BlockSize, (parts, token) => CallAsync(key, () => UploadAsync(key, parts, token)), ct);

    private async Task UploadAsync(string key, UploadPartSource parts, CancellationToken ct)
    {
        var blob = _container.GetBlockBlobClient(_options.Prefix + key);
        var headers = new BlobHttpHeaders { ContentType = "application/octet-stream" };
        using (var first = (await parts.NextAsync(ct).ConfigureAwait(false))!)
        {
            if (first.IsLast)
            {
                using var whole = first.OpenStream();
                await blob.UploadAsync(whole, new BlobUploadOptions { HttpHeaders = headers, TransferValidation = Md5 }, ct).ConfigureAwait(false);
                return;
            }
            // Block ids must all have the same length; a per-upload id keeps two uploads of the same
            // key (a retry racing a slow first try) from committing each other's blocks.
            var upload = Guid.NewGuid().ToString("N");
            var ids = new List<string>();
            await StageAsync(first).ConfigureAwait(false);
            first.Dispose(); // free its buffer before the next one is filled
            while (await parts.NextAsync(ct).ConfigureAwait(false) is { } part)
            {
                using (part)
                {
                    if (part.Length > 0)
                        await StageAsync(part).ConfigureAwait(false);
                }
            }
            await blob.CommitBlockListAsync(ids, new CommitBlockListOptions { HttpHeaders = headers }, ct).ConfigureAwait(false);

            async Task StageAsync(UploadPart part)
            {
                var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{upload}-{part.Number:D6}"));
                using var body = part.OpenStream();
                await blob.StageBlockAsync(id, body, new BlockBlobStageBlockOptions { TransferValidation = Md5 }, ct).ConfigureAwait(false);
                ids.Add(id);
            }
        }
    }

    public async IAsyncEnumerable<StoreObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _options.Prefix + prefix }, ct)
            .AsPages(pageSizeHint: _options.ListPageSize)
            .GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                Page<BlobItem>? page = null;
                await CallAsync(prefix, async () => page = await pages.MoveNextAsync().ConfigureAwait(false) ? pages.Current : null).ConfigureAwait(false);
                if (page is null)
                    yield break;
                foreach (var blob in page.Values)
                {
                    if (!blob.Name.StartsWith(_options.Prefix, StringComparison.Ordinal))
                        continue;
                    yield return new StoreObject(blob.Name[_options.Prefix.Length..], blob.Properties.ContentLength ?? 0,
                        blob.Properties.LastModified ?? DateTimeOffset.MinValue);
                }
            }
        }
        finally
        {
            await pages.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        Stream? content = null;
        await CallAsync(key, async () =>
        {
            var response = await _container.GetBlobClient(_options.Prefix + key).DownloadStreamingAsync(cancellationToken: ct).ConfigureAwait(false);
            content = response.Value.Content;
        }).ConfigureAwait(false);
        return content!;
    }

    public Task DeleteAsync(string key, CancellationToken ct) =>
        CallAsync(key, () => _container.GetBlobClient(_options.Prefix + key).DeleteIfExistsAsync(cancellationToken: ct));

    /// <summary>Create Container; for tests and lab setup (the backup tool itself never creates containers).</summary>
    internal Task CreateContainerAsync(CancellationToken ct) => CallAsync("", () => _container.CreateIfNotExistsAsync(cancellationToken: ct));

    /// <summary>The names under a prefix including blobs that have staged blocks but no block list
    /// yet; for tests of what a killed upload leaves.</summary>
    internal async Task<List<string>> ListIncludingUncommittedAsync(string prefix, CancellationToken ct)
    {
        var names = new List<string>();
        await foreach (var blob in _container.GetBlobsAsync(new GetBlobsOptions { Prefix = _options.Prefix + prefix, States = BlobStates.Uncommitted }, ct).ConfigureAwait(false))
            names.Add(blob.Name);
        return names;
    }

    /// <summary>One SDK call with its failures turned into the store's one-line errors and exit codes.</summary>
    private Task CallAsync(string key, Func<Task> call) => AzureErrors.TranslateAsync(_options, key, call);

    public void Dispose() => _ownedHttp?.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The SDK's retry policy (it retries 408/429/500/502/503/504 and transport failures) with our
    /// schedule of waits instead of its exponential one, so tests can make them milliseconds.
    /// </summary>
    private sealed class ScheduledRetryPolicy(IReadOnlyList<TimeSpan> delays) : RetryPolicy(delays.Count, new ScheduledDelay(delays));

    /// <summary>The wait before retry N is delays[N-1], without jitter; a Retry-After from the service wins when longer.</summary>
    private sealed class ScheduledDelay(IReadOnlyList<TimeSpan> delays) : DelayStrategy(maxDelay: TimeSpan.FromMinutes(1), jitterFactor: 0)
    {
        protected override TimeSpan GetNextDelayCore(Response? response, int retryNumber) =>
            delays.Count == 0 ? TimeSpan.Zero : delays[Math.Clamp(retryNumber, 1, delays.Count) - 1];
    }
}
