namespace EtcdDr.Etcd;

/// <summary>
/// A call failed. <see cref="Status"/> is the server's grpc-status, or a status we chose for a
/// transport failure (Unavailable for refused connections and TLS failures, DeadlineExceeded for
/// timeouts), so callers decide about fail-over from one field.
/// </summary>
public sealed class GrpcException(GrpcStatusCode status, string message, string endpoint, Exception? inner = null, bool requestNotSent = false)
    : DrException($"{endpoint}: {message}", KindOf(status), inner)
{
    /// <summary>The call failed before the request reached the server (connect or TLS), so even a
    /// non-idempotent call may be sent to another endpoint.</summary>
    public bool RequestNotSent { get; } = requestNotSent;

    public GrpcStatusCode Status { get; } = status;
    public string Endpoint { get; } = endpoint;
    public string Detail { get; } = message;

    /// <summary>Worth trying another endpoint: the member may be down, partitioned or overloaded.
    /// DataLoss is also what we report for a reply that does not parse: another member may send a good one.</summary>
    public bool IsEndpointFailure => Status is GrpcStatusCode.Unavailable or GrpcStatusCode.DeadlineExceeded
        or GrpcStatusCode.Unknown or GrpcStatusCode.Internal or GrpcStatusCode.Aborted or GrpcStatusCode.DataLoss;

    private static FailureKind KindOf(GrpcStatusCode status) => status switch
    {
        GrpcStatusCode.Unavailable or GrpcStatusCode.DeadlineExceeded or GrpcStatusCode.Unauthenticated
            or GrpcStatusCode.PermissionDenied => FailureKind.Unreachable,
        GrpcStatusCode.DataLoss => FailureKind.Integrity,
        GrpcStatusCode.InvalidArgument => FailureKind.Usage,
        _ => FailureKind.General,
    };
}
