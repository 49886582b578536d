using EtcdDr.Etcd;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Auth;

/// <summary>Two plain-http members with etcd authentication enabled (root:pw) and 1 s simple tokens,
/// so that a token expires between two calls of one client.</summary>
public sealed class AuthEnabledClusterFixture : IAsyncLifetime
{
    public const string Password = "s3cret pw:with colon";
    private EtcdCluster? _cluster;

    public EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions
        {
            Name = "auth2",
            MemberCount = 2,
            ExtraArguments = ["--auth-token", "simple", "--auth-token-ttl", "1"],
        });
        (await _cluster.EtcdctlAsync("user", "add", "root", "--interactive=false", "--new-user-password", Password)).EnsureSuccess("user add");
        (await _cluster.EtcdctlAsync("user", "add", "reader", "--interactive=false", "--new-user-password", "readerpw")).EnsureSuccess("user add reader");
        (await _cluster.EtcdctlAsync("auth", "enable")).EnsureSuccess("auth enable");
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync();
    }
}

/// <summary>
/// `snapshot save` and `status` against a real etcd with authentication enabled (issue 10): the
/// password from a file or the environment, never argv; "authentication required" without one;
/// "authentication failed" with a wrong one.
/// </summary>
public sealed class EtcdAuthTests(AuthEnabledClusterFixture fixture) : IClassFixture<AuthEnabledClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;

    private string PasswordFile(TempDirectory dir, string password)
    {
        var path = Path.Combine(dir.Path, "etcd-password");
        File.WriteAllText(path, password + "\n");
        return path;
    }

    [Fact]
    public async Task Save_with_a_password_file_works_and_the_snapshot_restores()
    {
        using var dir = TempDirectory.Create();
        var output = Path.Combine(dir.Path, "auth.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "--user", "root", "--password-file", PasswordFile(dir, AuthEnabledClusterFixture.Password), "-o", output]);

        Assert.True(result.ExitCode == 0, result.ToString());
        var verify = await CliRunner.RunAsync(["snapshot", "verify", output]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Save_without_credentials_says_authentication_required()
    {
        using var dir = TempDirectory.Create();
        var output = Path.Combine(dir.Path, "noauth.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "-o", output]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.Stderr.Contains("authentication required"), result.ToString());
        Assert.True(result.Stderr.Contains("--password-file"), result.ToString());
        Assert.DoesNotContain("unreachable", result.Stderr);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".part"));
    }

    [Fact]
    public async Task A_wrong_password_says_authentication_failed_and_never_shows_the_password()
    {
        using var dir = TempDirectory.Create();
        var output = Path.Combine(dir.Path, "wrong.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "--user", "root", "--password-file", PasswordFile(dir, "not-the-password"), "-o", output]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.True(result.Stderr.Contains("authentication failed"), result.ToString());
        Assert.True(result.Stderr.Contains("'root'"), result.ToString());
        Assert.DoesNotContain("not-the-password", result.Stderr + result.Stdout);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_user_without_the_root_role_is_told_permission_denied()
    {
        using var dir = TempDirectory.Create();
        var output = Path.Combine(dir.Path, "reader.db");

        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "--user", "reader", "--password-file", PasswordFile(dir, "readerpw"), "-o", output]);

        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.True(result.Stderr.Contains("permission denied"), result.ToString());
        Assert.True(result.Stderr.Contains("root role"), result.ToString());
    }

    [Fact]
    public async Task A_password_on_argv_is_refused()
    {
        using var dir = TempDirectory.Create();
        var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(Cluster), "--user", "root:" + AuthEnabledClusterFixture.Password, "-o", Path.Combine(dir.Path, "x.db")]);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.True(result.Stderr.Contains("--password-file"), result.ToString());
        Assert.True(result.Stderr.Contains("ETCDCTL_PASSWORD"), result.ToString());
        Assert.DoesNotContain(AuthEnabledClusterFixture.Password, result.Stderr);
    }

    /// <summary>The real executable in its own process, so the variables reach it as they would from a shell.</summary>
    private async Task<EtcdDr.Remote.ProcessResult> RunBinaryAsync(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        await EtcdDr.Remote.ProcessRunner.RunAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "etcd-dr.dll"), .. args],
            new EtcdDr.Remote.ProcessRunOptions { Environment = environment, RemoveEnvironmentPrefixes = ["ETCDCTL_", "ETCD_DR_"], Timeout = TimeSpan.FromSeconds(60) });

    [Fact]
    public async Task Save_with_ETCDCTL_USER_in_user_colon_password_form_works()
    {
        using var dir = TempDirectory.Create();
        var output = Path.Combine(dir.Path, "env.db");

        var result = await RunBinaryAsync(new Dictionary<string, string?> { ["ETCDCTL_USER"] = "root:" + AuthEnabledClusterFixture.Password },
            "snapshot", "save", "--endpoints", string.Join(',', Cluster.Endpoints), "-o", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(output));
    }

    [Fact]
    public async Task Status_and_save_with_ETCDCTL_USER_and_ETCDCTL_PASSWORD_work()
    {
        using var dir = TempDirectory.Create();
        var output = Path.Combine(dir.Path, "env2.db");
        var env = new Dictionary<string, string?> { ["ETCDCTL_USER"] = "root", ["ETCDCTL_PASSWORD"] = AuthEnabledClusterFixture.Password };

        var save = await RunBinaryAsync(env, "snapshot", "save", "--endpoints", string.Join(',', Cluster.Endpoints), "-o", output);
        var status = await RunBinaryAsync(env, "status", "--endpoints", string.Join(',', Cluster.Endpoints), "--output", "json");
        var wrong = await RunBinaryAsync(new Dictionary<string, string?> { ["ETCDCTL_USER"] = "root", ["ETCDCTL_PASSWORD"] = "nope" },
            "status", "--endpoints", string.Join(',', Cluster.Endpoints));

        Assert.True(save.ExitCode == 0, save.ToString());
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.True(wrong.ExitCode == 4, wrong.ToString());
        Assert.True(wrong.Stderr.Contains("authentication failed"), wrong.ToString());
    }

    [Fact]
    public async Task The_client_authenticates_per_endpoint_and_again_when_its_token_expires()
    {
        using var client = new EtcdClient(new EtcdConnectionOptions(Cluster.Endpoints.Select(e => new Uri(e)).ToList(),
            Credentials: new EtcdCredentials("root", AuthEnabledClusterFixture.Password)));

        // Simple tokens are known only to the member that issued them: each endpoint needs its own.
        foreach (var endpoint in client.Endpoints)
        {
            using var stream = await client.OpenSnapshotAsync(endpoint, default);
            Assert.NotNull(await stream.ReadMessageAsync(default));
        }
        await client.PutAsync("/auth-test/k", "v1", default);
        await Task.Delay(TimeSpan.FromSeconds(4)); // --auth-token-ttl 1: the token is gone now
        Assert.Equal("v1", (await client.GetAsync("/auth-test/k", default))?.Value.ToStringUtf8());
    }

    [Fact]
    public async Task The_on_master_config_mode_takes_user_and_passwordFile()
    {
        using var dir = TempDirectory.Create();
        var store = Path.Combine(dir.Path, "store");
        var config = Path.Combine(dir.Path, "config.yaml");
        File.WriteAllText(config, $$"""
            cluster: authprod
            destinations: [ "file://{{store}}" ]
            lock: { file: {{Path.Combine(dir.Path, "lock")}} }
            etcd: { endpoints: [ "{{Cluster.Endpoints[0]}}" ], user: root, passwordFile: {{PasswordFile(dir, AuthEnabledClusterFixture.Password)}} }
            """);

        var result = await CliRunner.RunAsync(["snapshot", "save", "--config", config]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(Directory.GetFiles(Path.Combine(store, "authprod", "snapshots"), "*.db"));
    }
}
