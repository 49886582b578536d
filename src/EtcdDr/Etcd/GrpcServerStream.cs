using System.Runtime.CompilerServices;
using System.Net.Http.Headers;

namespace EtcdDr.Etcd;

/// <summary>
/// One call's response: messages in order, then the status from the trailers. A stream that ends
/// without a grpc-status trailer was cut off (a proxy or the member died), which we report as
/// Unavailable, never as success.
/// </summary>
public sealed class GrpcServerStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly string _endpoint;
    private readonly GrpcChannel _channel;
    private readonly GrpcMessageReader _reader;

    internal GrpcServerStream(HttpResponseMessage response, Stream body, string endpoint, GrpcChannel channel)
    {
        _response = response;
        _body = body;
        _endpoint = endpoint;
        _channel = channel;
        _reader = new GrpcMessageReader(body, endpoint);
    }

    public string Endpoint => _endpoint;

    internal TimeSpan? IdleTimeout { get; set; }

    // One idle timer per stream, re-armed before each read: a new linked token source and timer per
    // 32 KiB message was most of the snapshot path's garbage.
    private CancellationTokenSource? _idle;
    private CancellationToken _idleLinkedTo;

    /// <summary>
    /// Next message, or null after the server ended the stream with status OK. The bytes are valid
    /// until the next call.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>?> ReadMessageAsync(CancellationToken ct)
    {
        var token = ct;
        if (IdleTimeout is { } limit)
        {
            if (_idle is null || _idleLinkedTo != ct)
            {
                _idle?.Dispose();
                _idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                _idleLinkedTo = ct;
            }
            _idle.CancelAfter(limit);
            token = _idle.Token;
        }
        ReadOnlyMemory<byte>? message;
        try
        {
            message = await _reader.ReadAsync(token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ct.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // Cancelling a read can surface as an aborted HTTP/2 stream; it is still the caller's interrupt.
            throw new OperationCanceledException("interrupted", ex, ct);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && IdleTimeout is { } l)
        {
            throw new GrpcException(GrpcStatusCode.DeadlineExceeded, $"stream stalled: nothing received for {l.TotalSeconds:0.#} s", _endpoint);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or HttpProtocolException)
        {
            // A trailer may already say why (the server aborted with a status); prefer it.
            throw StatusFrom(_response.TrailingHeaders, _endpoint) ?? _channel.TransportFailure(_endpoint, ex);
        }
        if (message is null)
        {
            if (StatusFrom(_response.TrailingHeaders, _endpoint) is { } failed)
                throw failed;
            if (!HasStatus(_response.TrailingHeaders))
                throw new GrpcException(GrpcStatusCode.Unavailable, "the stream ended without a gRPC status (connection cut mid-call?)", _endpoint);
        }
        return message;
    }

    /// <summary>Reads and parses the next message; null at the OK end of the stream.</summary>
    public async Task<T?> ReadAsync<T>(Google.Protobuf.MessageParser<T> parser, CancellationToken ct)
        where T : class, Google.Protobuf.IMessage<T>
    {
        var message = await ReadMessageAsync(ct).ConfigureAwait(false);
        return message is { } m ? GrpcChannel.ParseReply(parser, m, typeof(T).Name, _endpoint) : null;
    }

    internal GrpcException StatusOrMissing(string what) =>
        StatusFrom(_response.TrailingHeaders, _endpoint) ?? new GrpcException(GrpcStatusCode.Internal, what, _endpoint);

    private static bool HasStatus(HttpHeaders headers) => headers.Contains("grpc-status");

    /// <summary>The call's failure from grpc-status/grpc-message, or null when absent or OK.</summary>
    internal static GrpcException? StatusFrom(HttpHeaders headers, string endpoint)
    {
        if (!headers.TryGetValues("grpc-status", out var statuses))
            return null;
        var raw = statuses.FirstOrDefault();
        if (!int.TryParse(raw, out var code))
            return new GrpcException(GrpcStatusCode.Internal, $"unparsable grpc-status '{raw}'", endpoint);
        if (code == 0)
            return null;
        var message = headers.TryGetValues("grpc-message", out var messages) ? Uri.UnescapeDataString(messages.First()) : "(no message)";
        return new GrpcException((GrpcStatusCode)code, message, endpoint);
    }

    public void Dispose()
    {
        _idle?.Dispose();
        _reader.Dispose();
        _body.Dispose();
        _response.Dispose();
    }
}
