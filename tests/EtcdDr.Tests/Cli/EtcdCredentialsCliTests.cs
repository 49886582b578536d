using System.CommandLine;
using EtcdDr.Cli;
using EtcdDr.Etcd;
using EtcdDr.Schedule;

namespace EtcdDr.Tests.Cli;

/// <summary>--user/--password-file and ETCDCTL_USER/ETCDCTL_PASSWORD as etcdctl takes them, except
/// that a password is never read from argv.</summary>
public sealed class EtcdCredentialsCliTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static EtcdCredentials? Read(string[] args, Dictionary<string, string>? env = null)
    {
        var cli = new EtcdConnectionOptionsCli();
        var command = new RootCommand();
        cli.AddTo(command);
        var parse = command.Parse(args);
        Assert.Empty(parse.Errors);
        return cli.Read(parse, name => env is not null && env.TryGetValue(name, out var v) ? v : null).Credentials;
    }

    private string PasswordFile(string content)
    {
        var path = _dir.File("pw");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void No_user_means_no_credentials() => Assert.Null(Read([]));

    [Theory]
    [InlineData("pw\n", "pw")]
    [InlineData("pw\r\n", "pw")]
    [InlineData("pw", "pw")]
    [InlineData("with space:and colon\n", "with space:and colon")]
    public void The_password_file_holds_one_line(string content, string expected)
    {
        var credentials = Read(["--user", "root", "--password-file", PasswordFile(content)]);
        Assert.Equal(new EtcdCredentials("root", expected), credentials);
    }

    [Fact]
    public void A_password_on_argv_is_refused_with_the_ways_that_work()
    {
        var ex = Assert.Throws<DrException>(() => Read(["--user", "root:secret"]));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("--password-file", ex.Message);
        Assert.Contains("ETCDCTL_PASSWORD", ex.Message);
        Assert.DoesNotContain("secret", ex.Message);
    }

    [Fact]
    public void ETCDCTL_USER_may_carry_the_password_as_for_etcdctl() =>
        Assert.Equal(new EtcdCredentials("root", "p:w"), Read([], new() { ["ETCDCTL_USER"] = "root:p:w" }));

    [Fact]
    public void ETCDCTL_PASSWORD_goes_with_a_user_from_either_place()
    {
        Assert.Equal(new EtcdCredentials("root", "pw"), Read([], new() { ["ETCDCTL_USER"] = "root", ["ETCDCTL_PASSWORD"] = "pw" }));
        Assert.Equal(new EtcdCredentials("admin", "pw"), Read(["--user", "admin"], new() { ["ETCDCTL_USER"] = "root", ["ETCDCTL_PASSWORD"] = "pw" }));
    }

    [Fact]
    public void The_password_file_wins_over_the_environment() =>
        Assert.Equal(new EtcdCredentials("root", "fromfile"), Read(["--password-file", PasswordFile("fromfile\n")], new() { ["ETCDCTL_USER"] = "root:fromenv" }));

    [Fact]
    public void A_user_without_a_password_or_a_password_without_a_user_is_a_usage_error()
    {
        Assert.Contains("no password for etcd user 'root'", Assert.Throws<DrException>(() => Read(["--user", "root"])).Message);
        Assert.Contains("needs --user", Assert.Throws<DrException>(() => Read(["--password-file", PasswordFile("x")])).Message);
        Assert.Contains("is empty", Assert.Throws<DrException>(() => Read(["--user", "root", "--password-file", PasswordFile("\n")])).Message);
    }

    [Fact]
    public void The_password_never_shows_in_ToString() =>
        Assert.DoesNotContain("hunter2", new EtcdCredentials("root", "hunter2").ToString());

    [Fact]
    public void The_schedule_config_takes_user_and_passwordFile()
    {
        var config = _dir.File("config.yaml");
        File.WriteAllText(config, $"cluster: c\ndestinations: [ 'file:///tmp/x' ]\netcd: {{ endpoints: [ 'http://127.0.0.1:2379' ], user: root, passwordFile: {PasswordFile("pw\n")} }}\n");
        var etcd = ScheduleConfig.Load(config).Etcd;

        Assert.Equal(new EtcdCredentials("root", "pw"), etcd.Credentials(_ => null));
        Assert.Equal(new EtcdCredentials("root", "pw"), ScheduledSnapshotRun.Connection(etcd).Credentials);
        Assert.Throws<DrException>(() => (etcd with { User = "root:pw" }).Credentials(_ => null));
        Assert.Equal(new EtcdCredentials("u", "p"), new ScheduleConfig.EtcdSection().Credentials(n => n == "ETCDCTL_USER" ? "u:p" : null));
        Assert.Null(new ScheduleConfig.EtcdSection().Credentials(_ => null));
    }
}
