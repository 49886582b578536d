using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace EtcdDr.Storage;

/// <summary>
/// Azure Blob Storage through its REST API over HttpClient (the Azure SDK does not restore here).
/// Objects are block blobs under the URL's path as name prefix. A large object goes up as Put Block
/// calls, one block at a time while the writer produces the next, and becomes a blob only with the
/// final Put Block List; uncommitted blocks are never listed and the service discards them after a
/// week, so a failed or cancelled write leaves nothing. Objects smaller than one block use Put Blob.
/// Integrity: every body carries Content-MD5, which the service checks before accepting a block,
/// a blob or a block list (it answers Md5Mismatch otherwise); Shared Key requests also sign that header.
/// Requests the service answers 500/503 (ServerBusy when it throttles, OperationTimedOut) are sent
/// again a few times with growing waits; every request here is idempotent.
/// </summary>
public sealed class AzureBlobStore : ISnapshotStore, IDisposable
{
    /// <summary>A service version that has everything used here; Azurite accepts it too.</summary>
    public const string ServiceVersion = "2021-08-06";

    private readonly AzureBlobStoreOptions _options;
    private readonly HttpClient _http;

    public AzureBlobStore(AzureBlobStoreOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BlockSize is < 1 or > 100 << 20)
            throw new ArgumentOutOfRangeException(nameof(options), "blocks are 1 byte to 100 MiB");
        _options = options;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            // Per request: a block of a few MiB, or the headers of a download (its body is not timed).
            Timeout = TimeSpan.FromMinutes(2),
        };
    }

    public static AzureBlobStore FromUrl(StoreUrl url) => new(AzureBlobStoreOptions.FromUrl(url));

    public string Description => _options.Description;

    public Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct) =>
        PartedUpload.RunAsync(writer, _options.BlockSize, (parts, token) => UploadAsync(key, parts, token), ct);

    private async Task UploadAsync(string key, UploadPartSource parts, CancellationToken ct)
    {
        var blob = BlobUri(key);
        using (var first = (await parts.NextAsync(ct).ConfigureAwait(false))!)
        {
            if (first.IsLast)
            {
                using var put = await SendAsync(HttpMethod.Put, blob, key, () => Body(first.Data), ct, ("x-ms-blob-type", "BlockBlob")).ConfigureAwait(false);
                return;
            }
            // Block ids must all have the same length; a per-upload id keeps two uploads of the same
            // key (a retry racing a slow first try) from committing each other's blocks.
            var upload = Guid.NewGuid().ToString("N");
            var ids = new List<string>();
            await PutBlockAsync(first).ConfigureAwait(false);
            first.Dispose(); // free its buffer before the next one is filled
            while (await parts.NextAsync(ct).ConfigureAwait(false) is { } part)
            {
                using (part)
                {
                    if (part.Length > 0)
                        await PutBlockAsync(part).ConfigureAwait(false);
                }
            }
            var list = new XElement("BlockList", ids.Select(id => new XElement("Latest", id)));
            var xml = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"utf-8\"?>" + list.ToString(SaveOptions.DisableFormatting));
            using var commit = await SendAsync(HttpMethod.Put, WithQuery(blob, "comp=blocklist"), key, () => Body(xml, "application/xml"), ct,
                ("x-ms-blob-content-type", "application/octet-stream")).ConfigureAwait(false);

            async Task PutBlockAsync(UploadPart part)
            {
                var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{upload}-{part.Number:D6}"));
                using var response = await SendAsync(HttpMethod.Put, WithQuery(blob, $"comp=block&blockid={Uri.EscapeDataString(id)}"), key, () => Body(part.Data), ct).ConfigureAwait(false);
                ids.Add(id);
            }
        }
    }

    public async IAsyncEnumerable<StoreObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        string? marker = null;
        do
        {
            var query = $"restype=container&comp=list&prefix={Uri.EscapeDataString(_options.Prefix + prefix)}&maxresults={_options.ListPageSize}";
            if (marker is not null)
                query += "&marker=" + Uri.EscapeDataString(marker);
            XElement root;
            using (var response = await SendAsync(HttpMethod.Get, WithQuery(ContainerUri(), query), prefix, null, ct).ConfigureAwait(false))
            {
                await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                root = (await XDocument.LoadAsync(body, LoadOptions.None, ct).ConfigureAwait(false)).Root
                    ?? throw new DrException($"{Description}{prefix}: List Blobs answered an empty document", FailureKind.General);
            }
            foreach (var blob in root.Element("Blobs")?.Elements("Blob") ?? [])
            {
                var name = blob.Element("Name")?.Value ?? "";
                if (!name.StartsWith(_options.Prefix, StringComparison.Ordinal))
                    continue;
                var properties = blob.Element("Properties");
                var size = long.Parse(properties?.Element("Content-Length")?.Value ?? "0", CultureInfo.InvariantCulture);
                var modified = properties?.Element("Last-Modified")?.Value is { } m
                    ? DateTimeOffset.Parse(m, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                    : DateTimeOffset.MinValue;
                yield return new StoreObject(name[_options.Prefix.Length..], size, modified);
            }
            marker = root.Element("NextMarker")?.Value is { Length: > 0 } next ? next : null;
        }
        while (marker is not null);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var response = await SendAsync(HttpMethod.Get, BlobUri(key), key, null, ct, completion: HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        try
        {
            return new OwningReadStream(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false), response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Delete, BlobUri(key), key, null, ct, acceptBlobNotFound: true).ConfigureAwait(false);
    }

    /// <summary>Create Container; for tests and lab setup (the backup tool itself never creates containers).</summary>
    internal async Task CreateContainerAsync(CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Put, WithQuery(ContainerUri(), "restype=container"), "", () => Body(ReadOnlyMemory<byte>.Empty), ct).ConfigureAwait(false);
    }

    public void Dispose() => _http.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private Uri ContainerUri() => new($"{_options.Endpoint.ToString().TrimEnd('/')}/{Uri.EscapeDataString(_options.Container)}");

    private Uri BlobUri(string key) =>
        new($"{ContainerUri()}/{string.Join('/', (_options.Prefix + key).Split('/').Select(Uri.EscapeDataString))}");

    private static Uri WithQuery(Uri uri, string query) => new($"{uri}?{query}");

    private static ByteArrayContent Body(ReadOnlyMemory<byte> data, string contentType = "application/octet-stream")
    {
        // A copy-free view when the memory is a whole array segment (it always is: pooled buffers).
        var content = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new ByteArrayContent(segment.Array!, segment.Offset, segment.Count)
            : new ByteArrayContent(data.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        content.Headers.ContentLength = data.Length;
        // The service verifies this before it stores the bytes.
        content.Headers.ContentMD5 = MD5.HashData(data.Span);
        return content;
    }

    /// <summary>
    /// One request, retried after <see cref="AzureBlobStoreOptions.RetryDelays"/> while the service
    /// answers 500/503. <paramref name="content"/> is a factory because a sent request (and its
    /// body) cannot be sent again; each attempt is built and signed afresh (new x-ms-date).
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, Uri uri, string key, Func<HttpContent>? content, CancellationToken ct,
        (string Name, string Value)? extraHeader = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, bool acceptBlobNotFound = false)
    {
        if (_options.Credential is AzureCredential.Sas sas)
            uri = new Uri(uri + (uri.Query.Length > 0 ? "&" : "?") + sas.Query);
        for (var attempt = 1; ; attempt++)
        {
            var (response, error) = await SendOnceAsync(method, uri, key, content?.Invoke(), ct, extraHeader, completion, acceptBlobNotFound).ConfigureAwait(false);
            if (response is not null)
                return response;
            if ((error.Status is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable) && attempt <= _options.RetryDelays.Count)
            {
                await Task.Delay(_options.RetryDelays[attempt - 1], ct).ConfigureAwait(false);
                continue;
            }
            throw AzureErrors.FromResponse(_options, key, error.Status, error.Code, error.Message, attempt);
        }
    }

    /// <summary>The response when it succeeded, else the service's error (status, code, message).</summary>
    private async Task<(HttpResponseMessage? Response, (HttpStatusCode Status, string? Code, string? Message) Error)> SendOnceAsync(HttpMethod method, Uri uri,
        string key, HttpContent? content, CancellationToken ct, (string Name, string Value)? extraHeader, HttpCompletionOption completion, bool acceptBlobNotFound)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        request.Headers.Add("x-ms-date", DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture));
        request.Headers.Add("x-ms-version", ServiceVersion);
        if (extraHeader is { } header)
            request.Headers.Add(header.Name, header.Value);
        if (_options.Credential is AzureCredential.SharedKey sharedKey)
            AzureSharedKeySigner.Sign(request, sharedKey.Account, sharedKey.Key);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, completion, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw AzureErrors.Transport(_options, key, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw AzureErrors.Transport(_options, key, new TimeoutException($"no answer within {_http.Timeout.TotalSeconds:0} s", ex));
        }
        if (response.IsSuccessStatusCode)
            return (response, default);
        using (response)
        {
            var (code, message) = await AzureErrors.ReadErrorAsync(response, ct).ConfigureAwait(false);
            if (acceptBlobNotFound && response.StatusCode == HttpStatusCode.NotFound && code == "BlobNotFound")
                return (new HttpResponseMessage(HttpStatusCode.NoContent), default);
            return (null, (response.StatusCode, code, message));
        }
    }
}
