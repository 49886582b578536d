using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EtcdDr.Etcd;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Snapshots;

namespace EtcdDr.IntegrationTests.Etcd;

/// <summary>
/// What EtcdClient promises on top of dotnet-etcd and Grpc.Net.Client, against real etcd: TLS with
/// in-memory client certificates and our own server check, fail-over, deadlines, and a member
/// whose snapshot stream is corrupt.
/// </summary>
public sealed class EtcdClientLibraryTests
{
    private static EtcdTls InMemoryTls(EtcdCluster cluster, byte[]? caPem = null)
    {
        var paths = cluster.ClientCertPaths!;
        // Bytes, never paths: what the SSH path hands over after reading a master's certs into memory.
        return new EtcdTls(caPem ?? File.ReadAllBytes(paths.CaFile), File.ReadAllBytes(paths.CertFile), File.ReadAllBytes(paths.KeyFile));
    }

    [Fact]
    public async Task Tls_with_client_certificate_from_memory_works_and_a_foreign_ca_is_refused_with_the_reason()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "libtls", Tls = true });
        var endpoint = new Uri(cluster.Endpoints[0]);

        using (var client = new EtcdClient(new EtcdConnectionOptions([endpoint], InMemoryTls(cluster))))
        {
            await client.PutAsync("/tls/probe", "ok", default);
            Assert.Equal("ok", (await client.GetAsync("/tls/probe", default))!.Value.ToStringUtf8());
            Assert.Equal("3.4.23", (await client.StatusAsync(endpoint, default)).Version);
        }

        using var foreign = new EtcdClient(new EtcdConnectionOptions([endpoint], InMemoryTls(cluster, ForeignCaPem())));
        var ex = await Assert.ThrowsAsync<GrpcException>(() => foreign.StatusAsync(endpoint, default));
        Assert.Equal(GrpcStatusCode.Unavailable, ex.Status);
        Assert.Contains("does not chain to the given CA", ex.Message);
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Calls_fail_over_past_a_dead_member_and_a_member_add_moves_on_only_when_never_sent()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "libfail", MemberCount = 3 });
        await cluster.KillMemberAsync(0);
        using var client = new EtcdClient(new EtcdConnectionOptions(cluster.Endpoints.Select(e => new Uri(e)).ToList(), DialTimeout: TimeSpan.FromSeconds(2)));

        // The dead member is first in the list: every call that any member can answer moves on.
        await client.PutAsync("/failover/a", "1", default);
        Assert.Equal("1", (await client.GetAsync("/failover/a", default))!.Value.ToStringUtf8());
        Assert.Equal(3, (await client.MemberListAsync(default)).Members.Count);

        var statuses = await client.StatusAllAsync(default);
        Assert.Contains("connection refused", statuses[0].Error!.Message);
        Assert.Equal(cluster.Endpoints[0], statuses[0].Error!.Endpoint);
        Assert.All(statuses.Skip(1), s => Assert.True(s.Healthy));

        // Refused connection: the request never left, so even a non-idempotent add may go elsewhere.
        // (With the member back: etcd refuses to add a member while one of three is down.)
        await cluster.StartMemberAsync(0);
        await cluster.WaitHealthyAsync();
        var refused = $"http://127.0.0.1:{LoopbackAddresses.FreePort(System.Net.IPAddress.Loopback)}";
        using var fresh = new EtcdClient(new EtcdConnectionOptions([new Uri(refused), .. cluster.Endpoints.Select(e => new Uri(e))]));
        // Were the refused connect not known as "never sent", the add would stop at the first endpoint.
        var added = await AddLearnerOnceHealthyAsync(fresh);
        Assert.True(added.Response.Member.IsLearner);
        await fresh.MemberRemoveAsync(added.Response.Member.ID, default);
    }

    [Fact]
    public async Task A_member_that_accepts_and_never_answers_costs_one_deadline_then_the_next_member_answers()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "libdead" });
        using var silent = SilentListener.Start();
        var silentUri = new Uri($"http://{silent.Authority}");
        using var client = new EtcdClient(new EtcdConnectionOptions([silentUri, new Uri(cluster.Endpoints[0])],
            DialTimeout: TimeSpan.FromSeconds(1), CallTimeout: TimeSpan.FromSeconds(2), StreamIdleTimeout: TimeSpan.FromSeconds(2)));

        var clock = Stopwatch.StartNew();
        var status = await Assert.ThrowsAsync<GrpcException>(() => client.StatusAsync(silentUri, default));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, status.Status);
        Assert.Contains("no answer to /etcdserverpb.Maintenance/Status within 3 s", status.Message);
        Assert.Equal(FailureKind.Unreachable, status.Kind);

        var snapshot = await Assert.ThrowsAsync<GrpcException>(() => client.OpenSnapshotAsync(silentUri, default));
        Assert.Equal(GrpcStatusCode.DeadlineExceeded, snapshot.Status);
        Assert.Contains("no answer to /etcdserverpb.Maintenance/Snapshot", snapshot.Message);

        // Fail-over: the silent endpoint costs its deadline, the real one answers.
        Assert.Single((await client.MemberListAsync(default)).Members);
        Assert.True(silent.Accepted > 0);
    }

    [Fact]
    public async Task A_member_that_streams_a_flipped_byte_is_caught_by_the_trailer_and_the_save_moves_to_the_next()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "libcorrupt" });
        await cluster.PutAsync("/corrupt/marker", new string((char)CorruptingTcpProxy.Marker, 3 * CorruptingTcpProxy.RunLength));
        await using var proxy = CorruptingTcpProxy.Start(cluster.Endpoints[0]);
        using var dir = TempDirectory.Create();

        // Alone: the stream parses, the digest does not match, exit 3 (integrity), nothing left behind.
        using (var only = new EtcdClient(new EtcdConnectionOptions([new Uri(proxy.Endpoint)])))
        {
            var path = dir.Combine("only.db");
            var ex = await Assert.ThrowsAsync<DrException>(() => new SnapshotSaver(only, TimeProvider.System)
                .SaveAsync(SnapshotSaveRequest.ToFile(path), null, TextWriter.Null, default));
            Assert.Equal(FailureKind.Integrity, ex.Kind);
            Assert.Contains("SHA-256", ex.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Contains(proxy.Endpoint, ex.Message);
            Assert.False(File.Exists(path));
            Assert.Empty(Directory.GetFiles(dir.Path));
        }
        Assert.Equal(1, proxy.Flipped);

        // First the corrupting path, then the member itself: the save fails over and the copy is good.
        using var both = new EtcdClient(new EtcdConnectionOptions([new Uri(proxy.Endpoint), new Uri(cluster.Endpoints[0])]));
        var good = dir.Combine("good.db");
        var log = new StringWriter();
        var result = await new SnapshotSaver(both, TimeProvider.System).SaveAsync(SnapshotSaveRequest.ToFile(good), null, log, default);
        Assert.Equal(2, proxy.Flipped);
        Assert.Contains(proxy.Endpoint, Assert.Single(result.FailedAttempts));
        Assert.Contains("trying the next member", log.ToString());
        Assert.Equal(cluster.Endpoints[0], result.Manifest.Endpoint);
        var bytes = await File.ReadAllBytesAsync(good);
        Assert.Equal(32, bytes.Length % 512);
        Assert.Equal(SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)), bytes[^32..]);
    }

    /// <summary>etcd refuses a member add until a restarted member has been connected for a few
    /// seconds ("unhealthy cluster", from a member: the refused first endpoint was passed over);
    /// anything else, a refused connection above all, fails the test.</summary>
    private static async Task<(Etcdserverpb.MemberAddResponse Response, int Attempts)> AddLearnerOnceHealthyAsync(EtcdClient client)
    {
        var until = DateTime.UtcNow.AddSeconds(90);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return (await client.MemberAddAsync(["http://127.0.0.250:2380"], isLearner: true, default), attempt);
            }
            catch (GrpcException ex) when (ex.Detail.Contains("unhealthy cluster") && DateTime.UtcNow < until)
            {
                await Task.Delay(500);
            }
        }
    }

    private static byte[] ForeignCaPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=not-the-etcd-ca", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return Encoding.ASCII.GetBytes(ca.ExportCertificatePem());
    }
}
