using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Smoke;

/// <summary>Single-member clusters, each test with its own: plain and TLS start, read/write, restart.</summary>
public sealed class EtcdClusterSmokeTests
{
    [Fact]
    public async Task Single_plain_member_starts_healthy_and_put_get_works()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "plain1" }, timeout.Token);

        Assert.False(cluster.IsTls);
        Assert.Null(cluster.ClientCertPaths);
        Assert.StartsWith("http://127.", cluster.Endpoints.Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.", cluster.Endpoints.Single(), StringComparison.Ordinal);

        await cluster.PutAsync("/smoke/plain", "hello world", timeout.Token);
        Assert.Equal("hello world", await cluster.GetAsync("/smoke/plain", timeout.Token));
        Assert.Null(await cluster.GetAsync("/smoke/absent", timeout.Token));

        var raw = await cluster.EtcdctlAsync("get", "/smoke/plain", "--print-value-only");
        Assert.Equal(0, raw.ExitCode);
        Assert.Equal("hello world", raw.Stdout.Trim());
    }

    [Theory]
    [InlineData(LabKeyAlgorithm.EcdsaP256)]
    [InlineData(LabKeyAlgorithm.Rsa2048)]
    public async Task Single_tls_member_accepts_its_client_cert_and_refuses_no_cert(LabKeyAlgorithm algorithm)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var cluster = await EtcdCluster.StartAsync(
            new EtcdClusterOptions { Name = "tls1-" + algorithm, Tls = true, KeyAlgorithm = algorithm }, timeout.Token);

        Assert.StartsWith("https://", cluster.Endpoints.Single(), StringComparison.Ordinal);
        var certs = Assert.IsType<EtcdClientCertificatePaths>(cluster.ClientCertPaths);
        Assert.True(File.Exists(certs.CaFile) && File.Exists(certs.CertFile) && File.Exists(certs.KeyFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(certs.KeyFile));

        await cluster.PutAsync("/smoke/tls", algorithm.ToString(), timeout.Token);
        Assert.Equal(algorithm.ToString(), await cluster.GetAsync("/smoke/tls", timeout.Token));

        // Same CA trusted, but no client certificate: client-cert-auth must refuse the request.
        var anonymous = await ProcessRunner.RunAsync(
            Prerequisites.Etcdctl,
            ["--endpoints=" + cluster.Endpoints[0], "--cacert=" + certs.CaFile, "--dial-timeout=1s", "--command-timeout=1s", "get", "/smoke/tls"],
            EtcdCluster.EtcdctlProcessOptions(TimeSpan.FromSeconds(30)),
            timeout.Token);
        Assert.NotEqual(0, anonymous.ExitCode);
    }

    [Fact]
    public async Task Member_survives_stop_and_kill_and_keeps_its_data()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "restart1" }, timeout.Token);
        await cluster.PutAsync("/smoke/durable", "v1", timeout.Token);
        var firstPid = cluster.Members[0].ProcessId;

        await cluster.StopMemberAsync(0, timeout.Token);
        Assert.False(cluster.Members[0].IsRunning);
        await cluster.StartMemberAsync(0, timeout.Token);
        Assert.Equal("v1", await cluster.GetAsync("/smoke/durable", timeout.Token));

        await cluster.KillMemberAsync(0, timeout.Token);
        Assert.False(cluster.Members[0].IsRunning);
        await cluster.StartMemberAsync(0, timeout.Token);
        Assert.Equal("v1", await cluster.GetAsync("/smoke/durable", timeout.Token));

        Assert.NotEqual(firstPid, cluster.Members[0].ProcessId);
        var log = cluster.Members[0].ReadLog();
        Assert.Contains("start #3 of restart1-1", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutKeys_writes_thousands_of_keys_in_batches()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "bulk1" }, timeout.Token);

        var written = await cluster.PutKeysAsync(2000, "/smoke/bulk/", valueSize: 256, timeout.Token);

        Assert.Equal(2000, written.Count);
        Assert.Equal(2000, await cluster.CountKeysAsync("/smoke/bulk/", timeout.Token));
        Assert.Equal(written["/smoke/bulk/00001999"], await cluster.GetAsync("/smoke/bulk/00001999", timeout.Token));
        Assert.Equal(256, written["/smoke/bulk/00000000"].Length);
    }

    [Fact]
    public async Task Startup_failure_reports_exit_code_and_log_tail()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var failure = await Assert.ThrowsAsync<EtcdStartupException>(() => EtcdCluster.StartAsync(
            new EtcdClusterOptions { Name = "broken1", ExtraArguments = ["--quota-backend-bytes", "not-a-number"] }, timeout.Token));

        Assert.Contains("exited with code", failure.Message, StringComparison.Ordinal);
        Assert.Contains("not-a-number", failure.Message, StringComparison.Ordinal);
        Assert.Contains("--- tail of", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Member_that_never_becomes_healthy_is_killed_when_startup_times_out()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var token = "never-healthy-" + Guid.NewGuid().ToString("N");
        // etcd runs fine but listens for clients somewhere other than the URL it advertises.
        var options = new EtcdClusterOptions
        {
            Name = "deaf1",
            StartupTimeout = TimeSpan.FromSeconds(3),
            ExtraArguments = ["--listen-client-urls", "http://127.0.0.1:0", "--initial-cluster-token", token],
        };

        var failure = await Assert.ThrowsAsync<EtcdStartupException>(() => EtcdCluster.StartAsync(options, timeout.Token));

        Assert.Contains("not healthy after 3 s", failure.Message, StringComparison.Ordinal);
        Assert.Empty(ProcessTable.FindByCommandLine(token));
    }
}
