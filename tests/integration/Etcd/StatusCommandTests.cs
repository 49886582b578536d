using System.Text.Json;
using EtcdDr.Etcd;
using Etcdserverpb;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Etcd;

/// <summary>`etcd-dr status` against real etcd: a member down, a raised alarm, both renderings.</summary>
public sealed class StatusCommandTests
{
    [Fact]
    public async Task One_member_down_is_reported_per_endpoint_with_exit_6()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "status3", MemberCount = 3 });
        int down;
        var healthy = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--output", "json"]);
        Assert.True(healthy.ExitCode == 0, healthy.ToString());
        // Kill a follower, so that the survivors still have their leader (no election to wait for).
        using (var before = JsonDocument.Parse(healthy.Stdout))
        {
            var leader = before.RootElement.GetProperty("endpoints").EnumerateArray().ToList().FindIndex(e => e.GetProperty("isLeader").GetBoolean());
            down = leader == 2 ? 1 : 2;
        }
        await cluster.KillMemberAsync(down);

        var json = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--dial-timeout", "2", "--output", "json"]);

        Assert.True(json.ExitCode == 6, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        var root = doc.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("clusterId").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("leaderId").GetString()));
        Assert.Equal(3, root.GetProperty("members").GetArrayLength());
        var endpoints = root.GetProperty("endpoints").EnumerateArray().ToList();
        Assert.Equal(cluster.Endpoints, endpoints.Select(e => e.GetProperty("endpoint").GetString()));
        Assert.Contains("connection refused", endpoints[down].GetProperty("error").GetString());
        foreach (var up in endpoints.Where((_, i) => i != down))
        {
            Assert.False(up.TryGetProperty("error", out _), "an endpoint that answered has no error");
            Assert.Equal("3.4.23", up.GetProperty("version").GetString());
            Assert.False(string.IsNullOrEmpty(up.GetProperty("memberId").GetString()));
            Assert.False(string.IsNullOrEmpty(up.GetProperty("name").GetString()));
            Assert.True(up.GetProperty("dbSize").GetInt64() > 0);
            Assert.True(up.GetProperty("revision").GetInt64() >= 1);
            Assert.True(up.GetProperty("raftTerm").GetUInt64() >= 1);
            Assert.True(up.GetProperty("raftIndex").GetUInt64() >= 1);
            Assert.Equal(JsonValueKind.Array, up.GetProperty("errors").ValueKind);
        }
        Assert.Single(endpoints, e => e.GetProperty("isLeader").GetBoolean());

        var table = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--dial-timeout", "2", "--output", "table"]);
        Assert.True(table.ExitCode == 6, table.ToString());
        Assert.Contains("ENDPOINT", table.Stdout);
        Assert.Contains("REVISION", table.Stdout);
        foreach (var endpoint in cluster.Endpoints)
            Assert.Contains(endpoint, table.Stdout);
        Assert.Contains("3.4.23", table.Stdout);
        Assert.Contains("refused", table.Stdout);
        Assert.Contains("3 members", table.Stdout);
    }

    [Fact]
    public async Task A_raised_alarm_is_listed_and_exits_6_until_disarmed()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "alarm1" });
        using var client = new EtcdClient(new EtcdConnectionOptions([new Uri(cluster.Endpoints[0])]));
        var memberId = (await client.StatusAsync(new Uri(cluster.Endpoints[0]), default)).Header.MemberId;

        var before = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--output", "json"]);
        Assert.True(before.ExitCode == 0, before.ToString());

        await client.AlarmActivateAsync(memberId, AlarmType.Nospace, default);
        var json = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--output", "json"]);
        var table = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--output", "table"]);
        await client.AlarmDisarmAsync(memberId, AlarmType.Nospace, default);
        var after = await CliRunner.RunAsync(["status", .. CliRunner.ConnectionArgs(cluster), "--output", "json"]);

        Assert.True(json.ExitCode == 6, json.ToString());
        using var doc = JsonDocument.Parse(json.Stdout);
        var alarm = Assert.Single(doc.RootElement.GetProperty("alarms").EnumerateArray());
        Assert.Equal("NOSPACE", alarm.GetProperty("alarm").GetString());
        Assert.Equal(EtcdIds.Format(memberId), alarm.GetProperty("memberId").GetString());
        Assert.True(table.ExitCode == 6, table.ToString());
        Assert.Contains($"alarm NOSPACE on member {EtcdIds.Format(memberId)}", table.Stdout);
        Assert.True(after.ExitCode == 0, after.ToString());
    }
}
