using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;

namespace EtcdDr.Storage;

/// <summary>Turns AWS SDK exceptions into one-line operator messages with the right failure kind.</summary>
internal static class S3Errors
{
    private static readonly HashSet<string> CredentialCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken",
        "TokenRefreshRequired", "AllAccessDisabled", "InvalidSecurity",
    };

    // Codes S3 and common S3-compatible servers use when the bucket or the account is full.
    private static readonly HashSet<string> QuotaCodes = new(StringComparer.Ordinal)
    {
        "QuotaExceeded", "EntityTooLarge", "InsufficientStorage", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded",
        "ServiceQuotaExceeded", "TooManyBuckets",
    };

    public static DrException Map(Exception ex, S3StoreOptions options, string? key = null)
    {
        var where = options.Description + key;
        if (ex is AmazonServiceException service)
        {
            var code = string.IsNullOrEmpty(service.ErrorCode) ? null : service.ErrorCode;
            if (code is not null ? CredentialCodes.Contains(code) : service.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
            {
                return new DrException(
                    $"{where}: S3 refused the credentials ({code ?? service.StatusCode.ToString()}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY " +
                    $"(and AWS_SESSION_TOKEN) or AWS_PROFILE, and that they may use bucket '{options.Bucket}'", FailureKind.Unreachable, ex);
            }
            if (code == "NoSuchBucket")
                return new DrException($"{where}: bucket '{options.Bucket}' does not exist{At(options)}; create it first (etcd-dr never creates buckets)", FailureKind.Usage, ex);
            if (code == "NoSuchKey")
                return new DrException($"{where}: no such object", FailureKind.Usage, ex);
            if (code is not null && QuotaCodes.Contains(code))
                return new DrException($"{where}: S3 refused to store more ({code}: {service.Message})", FailureKind.General, ex);
            if (IsNetwork(service.InnerException))
                return Unreachable(where, options, service.InnerException!);
            return new DrException($"{where}: S3 error {code ?? "(no code)"} (HTTP {(int)service.StatusCode}): {service.Message}", FailureKind.General, ex);
        }
        if (IsNetwork(ex))
            return Unreachable(where, options, ex);
        if (ex is AmazonClientException client && client.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase))
            return new DrException($"{where}: no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE ({client.Message})", FailureKind.Unreachable, ex);
        return new DrException($"{where}: {ex.Message}", FailureKind.General, ex);
    }

    private static DrException Unreachable(string where, S3StoreOptions options, Exception cause) =>
        new($"{where}: cannot reach S3{At(options)}: {cause.Message}", FailureKind.Unreachable, cause);

    private static string At(S3StoreOptions options) => options.Endpoint is { } e ? $" at {e}" : $" in {options.Region}";

    private static bool IsNetwork(Exception? ex) => ex switch
    {
        null => false,
        HttpRequestException or SocketException or TimeoutException => true,
        // HttpClient reports its own timeout as a TaskCanceledException wrapping a TimeoutException.
        TaskCanceledException { InnerException: TimeoutException } => true,
        IOException io when io.InnerException is SocketException => true,
        _ => IsNetwork(ex.InnerException),
    };
}
