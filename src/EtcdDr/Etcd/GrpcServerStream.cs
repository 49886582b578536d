using System.Buffers;
using Etcdserverpb;
using Grpc.Core;

namespace EtcdDr.Etcd;

/// <summary>
/// One server-streaming call on Grpc.Net.Client: messages in order, then the status from the
/// trailers (checked by the library; a stream cut without one is Unavailable, never success).
/// Messages come through a marshaller that hands over the raw payload instead of a parsed
/// message: the generated SnapshotResponse parser copies every 32 KiB blob into a fresh
/// ByteString (a 1 GiB db is 32768 of them), while <see cref="SnapshotChunk"/> reads the blob in
/// place from one reused buffer.
/// </summary>
public sealed class GrpcServerStream : IDisposable
{
    private readonly AsyncServerStreamingCall<RawMessage> _call;
    private readonly RawMessage _message;
    private readonly CancellationTokenSource _deadline;
    private readonly EtcdTransport _transport;
    private readonly string _method;
    private readonly CancellationToken _callerToken;
    private bool _peeked;
    private bool _ended;

    private GrpcServerStream(AsyncServerStreamingCall<RawMessage> call, RawMessage message, CancellationTokenSource deadline,
        EtcdTransport transport, string endpoint, string method, CancellationToken callerToken)
    {
        _callerToken = callerToken;
        _call = call;
        _message = message;
        _deadline = deadline;
        _transport = transport;
        Endpoint = endpoint;
        _method = method;
    }

    public string Endpoint { get; }

    internal TimeSpan? IdleTimeout { get; private set; }

    /// <summary>
    /// Starts the call and waits for its first message (or its end), so that a refusal answered at
    /// once (trailers only: no auth, permission denied) fails here, where the auth layer sees it.
    /// The first message must come within <paramref name="headersTimeout"/> plus the dial timeout:
    /// a member that accepts the connection and never answers would otherwise hold the call forever.
    /// After that each read is bounded by <paramref name="idleTimeout"/>.
    /// </summary>
    internal static async Task<GrpcServerStream> StartAsync<TRequest>(EtcdTransport transport, Uri endpoint, Method<TRequest, RawMessage> method,
        RawMessage holder, TRequest request, string? authToken, TimeSpan headersTimeout, TimeSpan idleTimeout, CancellationToken ct)
        where TRequest : class
    {
        var target = transport.For(endpoint);
        var limit = headersTimeout + transport.DialTimeout;
        // One source for the whole call, re-armed before each read: a new linked source and timer
        // per 32 KiB message was most of the snapshot path's garbage.
        var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(limit);
        AsyncServerStreamingCall<RawMessage>? call = null;
        try
        {
            call = target.Invoker.AsyncServerStreamingCall(method, null,
                new CallOptions(EtcdTransport.Headers(authToken), cancellationToken: deadline.Token), request);
            var stream = new GrpcServerStream(call, holder, deadline, transport, target.Name, method.FullName, ct);
            try
            {
                stream._ended = !await call.ResponseStream.MoveNext(deadline.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is OperationCanceledException)
            {
                throw new GrpcException(GrpcStatusCode.DeadlineExceeded,
                    $"no answer to /{method.FullName.TrimStart('/')} within {limit.TotalSeconds:0.#} s (the connection was accepted, nothing came back)", target.Name, ex);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && transport.Map(ex, target.Name, method.FullName, limit) is { } mapped)
            {
                throw mapped;
            }
            stream._peeked = true;
            stream.IdleTimeout = idleTimeout;
            return stream;
        }
        catch
        {
            call?.Dispose();
            deadline.Dispose();
            holder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Next message, or null after the server ended the stream with status OK. The bytes are valid
    /// until the next call.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>?> ReadMessageAsync(CancellationToken ct)
    {
        if (_peeked)
        {
            _peeked = false;
            return _ended ? null : _message.Payload;
        }
        if (_ended)
            return null;
        // Reads take the call's own token (linked to the caller's when the call started); a
        // different token here is linked by registration (the usual caller passes the same one).
        using var link = ct.CanBeCanceled && ct != _callerToken ? ct.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _deadline) : default;
        if (IdleTimeout is { } idle)
            _deadline.CancelAfter(idle);
        try
        {
            _ended = !await _call.ResponseStream.MoveNext(_deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ct.IsCancellationRequested)
        {
            // Cancelling a read can surface as an aborted HTTP/2 stream; it is still the caller's interrupt.
            throw ex as OperationCanceledException ?? new OperationCanceledException("interrupted", ex, ct);
        }
        catch (OperationCanceledException ex) when (IdleTimeout is { } l)
        {
            throw new GrpcException(GrpcStatusCode.DeadlineExceeded, $"stream stalled: nothing received for {l.TotalSeconds:0.#} s", Endpoint, ex);
        }
        catch (Exception ex) when (_transport.Map(ex, Endpoint, _method, IdleTimeout ?? TimeSpan.Zero) is { } mapped)
        {
            throw mapped;
        }
        return _ended ? null : _message.Payload;
    }

    /// <summary>Reads and parses the next message; null at the OK end of the stream.</summary>
    public async Task<T?> ReadAsync<T>(Google.Protobuf.MessageParser<T> parser, CancellationToken ct)
        where T : class, Google.Protobuf.IMessage<T>
    {
        var message = await ReadMessageAsync(ct).ConfigureAwait(false);
        if (message is not { } m)
            return null;
        try
        {
            return parser.ParseFrom(m.Span);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new GrpcException(GrpcStatusCode.DataLoss, $"malformed {typeof(T).Name} ({ex.Message})", Endpoint, ex);
        }
    }

    public void Dispose()
    {
        _call.Dispose();
        _deadline.Dispose();
        _message.Dispose();
    }
}

/// <summary>
/// The payload of the last message a stream received, copied out of Grpc.Net.Client's pooled
/// receive buffer (valid only while the marshaller runs) into one buffer of ours that every message
/// reuses: one memcpy, no allocation. One holder per call; the marshaller returns it every time.
/// </summary>
internal sealed class RawMessage : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _length;

    public ReadOnlyMemory<byte> Payload => _buffer.AsMemory(0, _length);

    /// <summary>A marshaller whose responses are this holder; requests are serialized as usual.</summary>
    public Method<TRequest, RawMessage> Method<TRequest>(Google.Protobuf.Reflection.MethodDescriptor descriptor)
        where TRequest : class, Google.Protobuf.IMessage<TRequest> =>
        new(MethodType.ServerStreaming, descriptor.Service.FullName, descriptor.Name,
            Marshallers.Create<TRequest>(static (request, context) => context.Complete(Google.Protobuf.MessageExtensions.ToByteArray(request)), static _ => throw new NotSupportedException()),
            Marshallers.Create<RawMessage>(static (_, _) => throw new NotSupportedException(), Receive));

    private RawMessage Receive(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        if (payload.Length > _buffer.Length)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent((int)payload.Length);
        }
        payload.CopyTo(_buffer);
        _length = (int)payload.Length;
        return this;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        _length = 0;
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>etcd's Snapshot method, from the descriptors dotnet-etcd ships.</summary>
internal static class EtcdMethods
{
    public static Google.Protobuf.Reflection.MethodDescriptor Snapshot =>
        Maintenance.Descriptor.FindMethodByName("Snapshot");
}
