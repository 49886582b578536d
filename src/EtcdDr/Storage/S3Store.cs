using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace EtcdDr.Storage;

/// <summary>
/// Amazon S3 or any S3-compatible server (MinIO, Ceph RGW, s3rver). Objects live under the URL's
/// path as key prefix. Large objects stream up as a multipart upload, one part at a time while the
/// writer produces the next, and are completed only when the writer finished; a failed or cancelled
/// write aborts the upload, so S3 never lists a partial object. Objects smaller than one part go up
/// with a single PutObject.
/// <para>
/// Integrity: every request body is sent with chunk encoding off (s3rver and some older
/// S3-compatible servers store aws-chunked bodies verbatim), which means SigV4 signs the body
/// itself: x-amz-content-sha256 carries the SHA-256 of the payload and S3 rejects a body that does
/// not match it. On top of that each PutObject/UploadPart carries Content-MD5 (S3 answers BadDigest on
/// a mismatch) and an x-amz-checksum-sha256 that real S3 verifies and keeps with the object (per part
/// for multipart uploads, combined into a checksum of checksums). Servers that ignore the checksum
/// headers still check the signature.
/// </para>
/// </summary>
public sealed class S3Store : ISnapshotStore, IDisposable
{
    private readonly S3StoreOptions _options;
    private readonly AmazonS3Client _client;

    public S3Store(S3StoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PartSize < S3StoreOptions.MinimumPartSize)
            throw new ArgumentOutOfRangeException(nameof(options), $"S3 parts must be at least {S3StoreOptions.MinimumPartSize} bytes");
        _options = options;
        var config = new AmazonS3Config
        {
            // We set checksums ourselves, in headers; the SDK's default would add a CRC32 trailer,
            // which needs aws-chunked bodies.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            // Custom servers rarely have wildcard DNS for bucket.host names.
            config.ForcePathStyle = true;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }
        _client = options.Credentials is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
    }

    public static S3Store FromUrl(StoreUrl url) => new(S3StoreOptions.FromUrl(url));

    public string Description => _options.Description;

    public Task WriteAsync(string key, Func<Stream, CancellationToken, Task> writer, CancellationToken ct) =>
        PartedUpload.RunAsync(writer, _options.PartSize, (parts, token) => UploadAsync(ObjectKey(key), key, parts, token), ct);

    private async Task UploadAsync(string objectKey, string key, UploadPartSource parts, CancellationToken ct)
    {
        using (var first = (await parts.NextAsync(ct).ConfigureAwait(false))!)
        {
            if (first.IsLast)
            {
                await CallAsync(key, () => PutObjectAsync(objectKey, first, ct)).ConfigureAwait(false);
                return;
            }
            var uploadId = await CallAsync(key, async () => (await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            }, ct).ConfigureAwait(false)).UploadId).ConfigureAwait(false);
            try
            {
                var etags = new List<PartETag> { await UploadPartAsync(objectKey, key, uploadId, first, ct).ConfigureAwait(false) };
                first.Dispose(); // free its buffer before the next one is filled
                while (await parts.NextAsync(ct).ConfigureAwait(false) is { } part)
                {
                    using (part)
                    {
                        // The writer may end exactly on a part boundary: nothing to send then.
                        if (part.Length > 0)
                            etags.Add(await UploadPartAsync(objectKey, key, uploadId, part, ct).ConfigureAwait(false));
                    }
                }
                await CallAsync(key, () => _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = _options.Bucket,
                    Key = objectKey,
                    UploadId = uploadId,
                    PartETags = etags,
                }, ct)).ConfigureAwait(false);
            }
            catch
            {
                await AbortQuietlyAsync(objectKey, uploadId).ConfigureAwait(false);
                throw;
            }
        }
    }

    private Task PutObjectAsync(string objectKey, UploadPart part, CancellationToken ct)
    {
        var (md5, sha256) = Digests(part);
        return _client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket,
            Key = objectKey,
            InputStream = part.OpenStream(),
            AutoCloseStream = true,
            ContentType = "application/octet-stream",
            UseChunkEncoding = false,
            MD5Digest = md5,
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumSHA256 = sha256,
        }, ct);
    }

    private Task<PartETag> UploadPartAsync(string objectKey, string key, string uploadId, UploadPart part, CancellationToken ct) =>
        CallAsync(key, async () =>
        {
            var (md5, sha256) = Digests(part);
            var response = await _client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                UploadId = uploadId,
                PartNumber = part.Number,
                InputStream = part.OpenStream(),
                PartSize = part.Length,
                IsLastPart = part.IsLast,
                UseChunkEncoding = false,
                MD5Digest = md5,
                ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
                ChecksumSHA256 = sha256,
            }, ct).ConfigureAwait(false);
            return new PartETag { PartNumber = part.Number, ETag = response.ETag, ChecksumSHA256 = response.ChecksumSHA256 ?? sha256 };
        });

    /// <summary>Drops the parts already uploaded. Best effort: the caller's error is the one that matters,
    /// and a bucket lifecycle rule (AbortIncompleteMultipartUpload) is the backstop for a crash.</summary>
    private async Task AbortQuietlyAsync(string objectKey, string uploadId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = _options.Bucket,
                Key = objectKey,
                UploadId = uploadId,
            }, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Nothing is listed either way: an unfinished multipart upload is not an object.
        }
    }

    public async IAsyncEnumerable<StoreObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct)
    {
        string? token = null;
        do
        {
            var request = new ListObjectsV2Request
            {
                BucketName = _options.Bucket,
                Prefix = ObjectKey(prefix),
                ContinuationToken = token,
                MaxKeys = _options.ListPageSize,
            };
            var page = await CallAsync(prefix, () => _client.ListObjectsV2Async(request, ct)).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
            {
                // Guard against servers that ignore the prefix: never hand out a key outside ours.
                if (!o.Key.StartsWith(_options.Prefix, StringComparison.Ordinal))
                    continue;
                yield return new StoreObject(o.Key[_options.Prefix.Length..], o.Size ?? 0,
                    o.LastModified is { } modified ? new DateTimeOffset(DateTime.SpecifyKind(modified.ToUniversalTime(), DateTimeKind.Utc)) : DateTimeOffset.MinValue);
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
            if (page.IsTruncated == true && string.IsNullOrEmpty(token))
                throw new DrException($"{Description}{prefix}: the listing is truncated but S3 gave no continuation token", FailureKind.General);
        }
        while (token is not null);
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var response = await CallAsync(key, () => _client.GetObjectAsync(_options.Bucket, ObjectKey(key), ct)).ConfigureAwait(false);
        return new OwningReadStream(response.ResponseStream, response);
    }

    public Task DeleteAsync(string key, CancellationToken ct) =>
        // S3 answers 204 for a missing key as well, which is what the interface wants.
        CallAsync(key, () => _client.DeleteObjectAsync(_options.Bucket, ObjectKey(key), ct));

    public void Dispose() => _client.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    private string ObjectKey(string key) => _options.Prefix + key;

    private static (string Md5, string Sha256) Digests(UploadPart part) =>
        (Convert.ToBase64String(MD5.HashData(part.Data.Span)), Convert.ToBase64String(SHA256.HashData(part.Data.Span)));

    private async Task<T> CallAsync<T>(string key, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or HttpRequestException or IOException)
        {
            throw S3Errors.Map(ex, _options, key);
        }
    }

    private async Task CallAsync(string key, Func<Task> call) =>
        await CallAsync(key, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);
}
