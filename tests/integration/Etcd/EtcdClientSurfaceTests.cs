using EtcdDr.Etcd;
using EtcdDr.IntegrationTests.Infrastructure;
using Google.Protobuf;

namespace EtcdDr.IntegrationTests.Etcd;

/// <summary>The client's KV, Cluster and Maintenance calls against real etcd over TLS.</summary>
public sealed class EtcdClientSurfaceTests
{
    private static EtcdClient Client(EtcdCluster cluster) => new(new EtcdConnectionOptions(
        cluster.Endpoints.Select(e => new Uri(e)).ToList(),
        EtcdTls.FromFiles(cluster.ClientCertPaths!.CaFile, cluster.ClientCertPaths.CertFile, cluster.ClientCertPaths.KeyFile)));

    [Fact]
    public async Task Kv_put_get_prefix_delete()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "kv", Tls = true });
        using var client = Client(cluster);
        await client.PutAsync("/canary/a", "1", default);
        await client.PutAsync("/canary/b", ByteString.CopyFrom(0, 255), default);
        await client.PutAsync("/other", "x", default);
        Assert.Equal("1", (await client.GetAsync("/canary/a", default))!.Value.ToStringUtf8());
        Assert.Equal(["/canary/a", "/canary/b"], (await client.GetPrefixAsync("/canary/", default)).Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal("1", await cluster.GetAsync("/canary/a")); // etcdctl sees what we wrote
        Assert.Equal(2, await client.DeleteAsync("/canary/", prefix: true, default));
        Assert.Null(await client.GetAsync("/canary/a", default));
        Assert.NotNull(await client.GetAsync("/other", default));
    }

    [Fact]
    public async Task Cluster_member_add_update_promote_remove_and_maintenance_calls()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "members", Tls = true });
        using var client = Client(cluster);
        var endpoint = new Uri(cluster.Endpoints[0]);

        var self = Assert.Single((await client.MemberListAsync(default)).Members);
        Assert.Equal(cluster.Members[0].Name, self.Name);

        // A learner that never starts: added, visible, not promotable (not in sync), removed.
        var added = await client.MemberAddAsync(["https://127.0.0.250:2380"], isLearner: true, default);
        Assert.True(added.Member.IsLearner);
        Assert.Equal(2, (await client.MemberListAsync(default)).Members.Count);
        var promote = await Assert.ThrowsAsync<GrpcException>(() => client.MemberPromoteAsync(added.Member.ID, default));
        Assert.Equal(GrpcStatusCode.FailedPrecondition, promote.Status);
        Assert.Contains("in sync with leader", promote.Message);
        var updated = await client.MemberUpdateAsync(added.Member.ID, ["https://127.0.0.251:2380"], default);
        Assert.Contains(updated.Members, m => m.ID == added.Member.ID && m.PeerURLs.Single() == "https://127.0.0.251:2380");
        await client.MemberRemoveAsync(added.Member.ID, default);
        Assert.Single((await client.MemberListAsync(default)).Members);

        var status = await client.StatusAsync(endpoint, default);
        Assert.Equal(self.ID, status.Header.MemberId);
        Assert.Equal(status.Header.MemberId, status.Leader);
        Assert.Empty(await client.AlarmListAsync(default));
        var hash = await client.HashKVAsync(endpoint, 0, default);
        Assert.True(hash.Header.Revision > 0);
        await client.DefragmentAsync(endpoint, default);
    }

    [Fact]
    public async Task A_grpc_error_status_keeps_its_code_and_message()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "errors", Tls = true });
        using var client = Client(cluster);
        var ex = await Assert.ThrowsAsync<GrpcException>(() => client.MemberRemoveAsync(0xdeadbeef, default));
        Assert.Equal(GrpcStatusCode.NotFound, ex.Status);
        Assert.Equal("etcdserver: member not found", ex.Detail);
    }
}
