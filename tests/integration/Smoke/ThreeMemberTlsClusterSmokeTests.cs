using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Smoke;

/// <summary>
/// One shared three-member TLS cluster: it forms, serves through every member, survives losing one
/// member, and refuses client certificates that are expired or come from another CA. Each refusal is
/// checked in etcd's own log, so the test proves the reason, not merely that something failed.
/// </summary>
public sealed class ThreeMemberTlsClusterSmokeTests(ThreeMemberTlsClusterFixture fixture)
    : IClassFixture<ThreeMemberTlsClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Three_members_form_one_cluster_and_each_serves_reads_and_writes()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Assert.Equal(3, Cluster.Endpoints.Count);
        Assert.Equal(3, Cluster.Endpoints.Distinct().Count());
        Assert.All(Cluster.Endpoints, e => Assert.StartsWith("https://127.", e, StringComparison.Ordinal));

        var members = (await Cluster.EtcdctlAsync("member", "list", "-w", "json")).EnsureSuccess("member list");
        using (var json = JsonDocument.Parse(members.Stdout))
            Assert.Equal(3, json.RootElement.GetProperty("members").GetArrayLength());

        for (var i = 0; i < 3; i++)
        {
            var only = new EtcdctlOptions { Endpoints = [Cluster.Endpoints[i]] };
            (await Cluster.RunEtcdctlAsync(["put", $"/smoke/three/{i}", $"via-{i}"], only, timeout.Token)).EnsureSuccess("put");
        }
        for (var i = 0; i < 3; i++)
        {
            var other = new EtcdctlOptions { Endpoints = [Cluster.Endpoints[(i + 1) % 3]] };
            var read = await Cluster.RunEtcdctlAsync(["get", $"/smoke/three/{i}", "--print-value-only"], other, timeout.Token);
            Assert.Equal($"via-{i}", read.EnsureSuccess("get").Stdout.Trim());
        }
    }

    [Fact]
    public async Task Cluster_keeps_quorum_when_one_member_is_killed_and_the_member_rejoins()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await Cluster.KillMemberAsync(2, timeout.Token);
            Assert.Equal(2, Cluster.RunningEndpoints.Count);
            // If the killed member led, the other two need an election (1-2 election timeouts) first.
            await Cluster.WaitHealthyAsync(timeout.Token);

            await Cluster.PutAsync("/smoke/quorum", "written-with-two", timeout.Token);
        }
        finally
        {
            if (!Cluster.Members[2].IsRunning)
                await Cluster.StartMemberAsync(2, timeout.Token);
        }

        // The rejoined member catches up from the leader.
        var fromRejoined = await Cluster.RunEtcdctlAsync(
            ["get", "/smoke/quorum", "--print-value-only"], new EtcdctlOptions { Endpoints = [Cluster.Endpoints[2]] }, timeout.Token);
        Assert.Equal("written-with-two", fromRejoined.EnsureSuccess("get").Stdout.Trim());
    }

    [Fact]
    public async Task Expired_client_certificate_is_refused_by_etcd()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var pki = Cluster.Pki!;
        var now = DateTimeOffset.UtcNow;
        var expired = pki.IssueClient("client-expired", "root", notBefore: now.AddDays(-10), notAfter: now.AddDays(-1));
        var fresh = pki.IssueClient("client-fresh", "root");

        // Control: same CA, same CN, valid dates: accepted. So only the dates differ.
        var accepted = await GetWithAsync(fresh, timeout.Token);
        Assert.Equal(0, accepted.ExitCode);

        var refused = await GetWithAsync(expired, timeout.Token);
        Assert.NotEqual(0, refused.ExitCode);
        await AssertMemberLogMentionsAsync("certificate has expired", timeout.Token);
    }

    [Fact]
    public async Task Client_certificate_from_another_ca_is_refused_by_etcd()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var otherCa = LabCertificateAuthority.Create("unrelated CA");
        var files = otherCa.IssueClient("root").WriteFilesInto(Path.Combine(Cluster.Directory, "wrong-ca"), "client-root");
        // The client still trusts the right CA, so only the server's check of the client can fail.
        var wrong = new EtcdClientCertificatePaths(Cluster.ClientCertPaths!.CaFile, files.CertificateFile, files.PrivateKeyFile);

        var refused = await GetWithAsync(wrong, timeout.Token);

        Assert.NotEqual(0, refused.ExitCode);
        await AssertMemberLogMentionsAsync("certificate signed by unknown authority", timeout.Token);
    }

    [Fact]
    public async Task Client_that_trusts_another_ca_refuses_the_server()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var otherCa = LabCertificateAuthority.Create("unrelated CA");
        var otherCaFile = otherCa.Certificate.WriteFilesInto(Path.Combine(Cluster.Directory, "other-trust"), "ca").CertificateFile;
        var paths = Cluster.ClientCertPaths! with { CaFile = otherCaFile };

        // --debug makes etcdctl print gRPC's transport errors; without it the reason is only "context deadline exceeded".
        var refused = await GetWithAsync(paths, timeout.Token, "--debug");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.True(refused.Stderr.Contains("unknown authority", StringComparison.Ordinal), refused.ToString());
    }

    [Fact]
    public async Task Client_key_in_legacy_ec_pem_form_is_accepted()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var folder = Path.Combine(Cluster.Directory, "legacy-key");
        var files = Cluster.Pki!.Authority.IssueClient("kube-apiserver-etcd-client")
            .WriteFilesInto(folder, "apiserver-etcd-client", PrivateKeyPemFormat.Legacy);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", await File.ReadAllTextAsync(files.PrivateKeyFile, timeout.Token), StringComparison.Ordinal);

        var result = await GetWithAsync(Cluster.ClientCertPaths! with { CertFile = files.CertificateFile, KeyFile = files.PrivateKeyFile }, timeout.Token);

        Assert.True(result.Succeeded, result.ToString());
    }

    private Task<ProcessResult> GetWithAsync(
        EtcdClientCertificatePaths certificate, CancellationToken cancellationToken, params string[] extraFlags) =>
        Cluster.RunEtcdctlAsync(
            [.. extraFlags, "--dial-timeout=1s", "--command-timeout=2s", "get", "/smoke/any"],
            new EtcdctlOptions { Endpoints = [Cluster.Endpoints[0]], ClientCertificate = certificate },
            cancellationToken);

    // etcd logs "rejected connection" with Go's reason; the line can land a moment after etcdctl gives up.
    private async Task AssertMemberLogMentionsAsync(string reason, CancellationToken cancellationToken)
    {
        var member = Cluster.Members[0];
        for (var attempt = 0; attempt < 20; attempt++)
        {
            if (member.ReadLog().Contains(reason, StringComparison.Ordinal))
                return;
            await Task.Delay(100, cancellationToken);
        }
        Assert.Fail($"{member.Name}'s log never mentioned \"{reason}\". Tail:\n{member.ReadLogTail()}");
    }
}
