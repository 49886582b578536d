using Etcdserverpb;
using Google.Protobuf;
using Mvccpb;

namespace EtcdDr.Etcd;

/// <summary>
/// etcd v3 client: dotnet-etcd's generated clients over Grpc.Net.Client (see EtcdTransport), KV
/// (enough for canaries), Cluster, Maintenance. Calls that any member can answer go to the last
/// endpoint that worked and fail over to the next on transport failures; member-specific calls
/// (Status, Snapshot, HashKV, Defragment) take an endpoint. Every failure is a
/// <see cref="GrpcException"/> (or <see cref="EtcdAuthException"/>) that names the endpoint.
/// </summary>
public sealed class EtcdClient : IDisposable
{
    // Full gRPC method names, as errors name them ("no answer to /etcdserverpb.Maintenance/Status").
    private const string Kv = "/etcdserverpb.KV/";
    private const string Cluster = "/etcdserverpb.Cluster/";
    private const string Maintenance = "/etcdserverpb.Maintenance/";

    private readonly EtcdTransport _transport;
    private readonly EtcdConnectionOptions _options;
    private readonly EtcdAuthTokens _auth;
    private int _preferred;

    public EtcdClient(EtcdConnectionOptions options, TimeProvider? time = null)
    {
        _options = options;
        _transport = new EtcdTransport(options, time);
        _auth = new EtcdAuthTokens(_transport, options);
    }

    public IReadOnlyList<Uri> Endpoints => _options.Endpoints;

    /// <summary>Sends calls that any member can answer to this endpoint first (one that just
    /// answered Status), so that a dead first endpoint does not cost each of them a timeout.</summary>
    public void Prefer(Uri endpoint)
    {
        var index = _options.Endpoints.ToList().IndexOf(endpoint);
        if (index >= 0)
            Volatile.Write(ref _preferred, index);
    }

    // ---- KV ----

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken ct) =>
        AnyAsync(Kv + "Range", (c, h, d) => c.GetAsync(request, h, d, ct), idempotent: true, ct);

    public async Task<KeyValue?> GetAsync(string key, CancellationToken ct)
    {
        var response = await RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) }, ct).ConfigureAwait(false);
        return response.Kvs.FirstOrDefault();
    }

    /// <summary>All keys under a prefix, in key order.</summary>
    public async Task<IReadOnlyList<KeyValue>> GetPrefixAsync(string prefix, CancellationToken ct)
    {
        var key = ByteString.CopyFromUtf8(prefix);
        var response = await RangeAsync(new RangeRequest { Key = key, RangeEnd = PrefixEnd(key) }, ct).ConfigureAwait(false);
        return response.Kvs;
    }

    // Put is retried on fail-over: writing the same value twice leaves the same state.
    public Task<PutResponse> PutAsync(string key, ByteString value, CancellationToken ct) =>
        AnyAsync(Kv + "Put", (c, h, d) => c.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = value }, h, d, ct), idempotent: true, ct);

    public Task<PutResponse> PutAsync(string key, string value, CancellationToken ct) =>
        PutAsync(key, ByteString.CopyFromUtf8(value), ct);

    public async Task<long> DeleteAsync(string key, bool prefix, CancellationToken ct)
    {
        var k = ByteString.CopyFromUtf8(key);
        var request = new DeleteRangeRequest { Key = k, RangeEnd = prefix ? PrefixEnd(k) : ByteString.Empty };
        var response = await AnyAsync(Kv + "DeleteRange", (c, h, d) => c.DeleteAsync(request, h, d, ct), idempotent: true, ct).ConfigureAwait(false);
        return response.Deleted;
    }

    /// <summary>The smallest key greater than every key with this prefix (etcd's "range_end").</summary>
    public static ByteString PrefixEnd(ByteString prefix)
    {
        var bytes = prefix.ToByteArray();
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return ByteString.CopyFrom(bytes, 0, i + 1);
            }
        }
        return ByteString.CopyFrom(0); // all 0xff: every key from the prefix on
    }

    // ---- Cluster ----

    public async Task<MemberListResponse> MemberListAsync(CancellationToken ct) =>
        await AnyAsync(Cluster + "MemberList", (c, h, d) => c.MemberListAsync(new MemberListRequest(), h, d, ct), idempotent: true, ct).ConfigureAwait(false);

    /// <summary>Not retried on another endpoint after a lost answer: a second add would add a second member.</summary>
    public Task<MemberAddResponse> MemberAddAsync(IEnumerable<string> peerUrls, bool isLearner, CancellationToken ct)
    {
        var request = new MemberAddRequest { IsLearner = isLearner };
        request.PeerURLs.AddRange(peerUrls);
        return AnyAsync(Cluster + "MemberAdd", (c, h, d) => c.MemberAddAsync(request, h, d, ct), idempotent: false, ct);
    }

    public Task<MemberRemoveResponse> MemberRemoveAsync(ulong memberId, CancellationToken ct) =>
        AnyAsync(Cluster + "MemberRemove", (c, h, d) => c.MemberRemoveAsync(new MemberRemoveRequest { ID = memberId }, h, d, ct), idempotent: false, ct);

    public Task<MemberUpdateResponse> MemberUpdateAsync(ulong memberId, IEnumerable<string> peerUrls, CancellationToken ct)
    {
        var request = new MemberUpdateRequest { ID = memberId };
        request.PeerURLs.AddRange(peerUrls);
        return AnyAsync(Cluster + "MemberUpdate", (c, h, d) => c.MemberUpdateAsync(request, h, d, ct), idempotent: true, ct);
    }

    public Task<MemberPromoteResponse> MemberPromoteAsync(ulong memberId, CancellationToken ct) =>
        AnyAsync(Cluster + "MemberPromote", (c, h, d) => c.MemberPromoteAsync(new MemberPromoteRequest { ID = memberId }, h, d, ct), idempotent: true, ct);

    // ---- Maintenance ----

    public Task<StatusResponse> StatusAsync(Uri endpoint, CancellationToken ct) =>
        UnaryAsync(endpoint, Maintenance + "Status", (c, h, d) => c.StatusAsync(new StatusRequest(), h, d, ct), _options.EffectiveCallTimeout, ct);

    /// <summary>Status of every endpoint at once; a failed endpoint gives its error instead.</summary>
    public async Task<IReadOnlyList<EndpointStatus>> StatusAllAsync(CancellationToken ct)
    {
        var tasks = _options.Endpoints.Select(async endpoint =>
        {
            try
            {
                return new EndpointStatus(endpoint, await StatusAsync(endpoint, ct).ConfigureAwait(false), null);
            }
            catch (GrpcException ex)
            {
                return new EndpointStatus(endpoint, null, ex);
            }
        });
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AlarmMember>> AlarmListAsync(CancellationToken ct)
    {
        var response = await AnyAsync(Maintenance + "Alarm", (c, h, d) => c.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get }, h, d, ct), idempotent: true, ct).ConfigureAwait(false);
        return response.Alarms;
    }

    /// <summary>Raises an alarm on one member, as etcd does itself when the quota is hit (drills and
    /// tests use it to see how a raised NOSPACE looks).</summary>
    public Task<AlarmResponse> AlarmActivateAsync(ulong memberId, AlarmType alarm, CancellationToken ct) =>
        AnyAsync(Maintenance + "Alarm", (c, h, d) => c.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Activate, MemberID = memberId, Alarm = alarm }, h, d, ct), idempotent: true, ct);

    /// <summary>Clears an alarm (etcdctl alarm disarm); for NOSPACE only after space was freed.</summary>
    public Task<AlarmResponse> AlarmDisarmAsync(ulong memberId, AlarmType alarm, CancellationToken ct) =>
        AnyAsync(Maintenance + "Alarm", (c, h, d) => c.AlarmAsync(new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Deactivate, MemberID = memberId, Alarm = alarm }, h, d, ct), idempotent: true, ct);

    public Task<HashKVResponse> HashKVAsync(Uri endpoint, long revision, CancellationToken ct) =>
        UnaryAsync(endpoint, Maintenance + "HashKV", (c, h, d) => c.HashKVAsync(new HashKVRequest { Revision = revision }, h, d, ct), _options.EffectiveCallTimeout, ct);

    /// <summary>Defragmenting blocks the member for a while; the deadline is generous on purpose.</summary>
    public Task<DefragmentResponse> DefragmentAsync(Uri endpoint, CancellationToken ct) =>
        UnaryAsync(endpoint, Maintenance + "Defragment", (c, h, d) => c.DefragmentAsync(new DefragmentRequest(), h, d, ct), TimeSpan.FromMinutes(5), ct);

    /// <summary>
    /// Opens the snapshot stream of one member. The concatenated blobs are the bbolt file followed
    /// by the SHA-256 of everything before it (DESIGN.md section 4); the caller checks that.
    /// dotnet-etcd's own Snapshot hands each chunk to a synchronous callback as a freshly parsed
    /// message (a copied ByteString per 32 KiB); this calls the same Maintenance/Snapshot method
    /// from dotnet-etcd's descriptors on the endpoint's channel with a marshaller that keeps the
    /// chunk in one reused buffer, and lets the caller await its destination between chunks.
    /// </summary>
    public Task<GrpcServerStream> OpenSnapshotAsync(Uri endpoint, CancellationToken ct) =>
        _auth.CallAsync(endpoint, Maintenance + "Snapshot", token =>
        {
            var holder = new RawMessage();
            return GrpcServerStream.StartAsync(_transport, endpoint, holder.Method<SnapshotRequest>(EtcdMethods.Snapshot), holder, new SnapshotRequest(),
                token, _options.EffectiveCallTimeout, _options.EffectiveStreamIdleTimeout, ct);
        }, ct);

    /// <summary>A call through one endpoint's dotnet-etcd client, with its auth token when credentials are set.</summary>
    private delegate Task<TResponse> EtcdCall<TResponse>(dotnet_etcd.EtcdClient client, Grpc.Core.Metadata? headers, DateTime deadline);

    private Task<TResponse> UnaryAsync<TResponse>(Uri endpoint, string method, EtcdCall<TResponse> call, TimeSpan callTimeout, CancellationToken ct) =>
        _auth.CallAsync(endpoint, method, token =>
            _transport.UnaryAsync(endpoint, method, callTimeout, (client, deadline) => call(client, EtcdTransport.Headers(token), deadline), ct), ct);

    // ---- fail-over ----

    private async Task<TResponse> AnyAsync<TResponse>(string method, EtcdCall<TResponse> call, bool idempotent, CancellationToken ct)
    {
        var failures = new List<GrpcException>();
        var count = _options.Endpoints.Count;
        var start = Volatile.Read(ref _preferred);
        for (var i = 0; i < count; i++)
        {
            var index = (start + i) % count;
            try
            {
                var response = await UnaryAsync(_options.Endpoints[index], method, call, _options.EffectiveCallTimeout, ct).ConfigureAwait(false);
                Volatile.Write(ref _preferred, index);
                return response;
            }
            catch (GrpcException ex) when (ex.IsEndpointFailure && (idempotent || ex.RequestNotSent))
            {
                // Non-idempotent calls move on only when the request never left; after a lost answer
                // or a deadline it may have been applied, and the caller must look before retrying.
                failures.Add(ex);
            }
        }
        throw AllFailed(method, failures);
    }

    private static DrException AllFailed(string method, List<GrpcException> failures)
    {
        var name = method[(method.LastIndexOf('/') + 1)..];
        return new DrException(Failures.Summarize($"{name} failed on every endpoint", failures.Select(f => f.Message).ToList()), FailureKind.Unreachable, failures.LastOrDefault());
    }

    public void Dispose() => _transport.Dispose();
}

/// <summary>One endpoint's Status answer, or why there was none.</summary>
public sealed record EndpointStatus(Uri Endpoint, StatusResponse? Status, GrpcException? Error)
{
    public bool Healthy => Status is not null && Status.Errors.Count == 0;
    public bool IsLeader => Status is { } s && s.Leader == s.Header.MemberId;
}
