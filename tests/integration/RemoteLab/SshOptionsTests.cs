using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// What the inventory's SSH settings promise on the system OpenSSH client, against a real sshd: an
/// ssh_config file (-F) with a host alias and a ProxyJump bastion. Host key checking, errors and
/// timeouts are in <see cref="RemoteHostContractTests"/>, run on both transports.
/// </summary>
public sealed class SshOptionsTests(SshdFixture sshd) : IClassFixture<SshdFixture>, IDisposable
{
    private readonly TempDirectory _dir = TempDirectory.Create("ssh-options");

    public void Dispose() => _dir.Dispose();

    private string P => sshd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string WriteConfig(string text)
    {
        var path = _dir.Combine($"ssh_config-{Guid.NewGuid():N}");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public async Task A_host_alias_from_the_ssh_config_file_is_used()
    {
        var config = WriteConfig($"""
            Host cp-alias
              HostName {SshdFixture.Address}
              Port {P}
              User root
              IdentityFile {sshd.IdentityFile}
              IdentitiesOnly yes
              UserKnownHostsFile {sshd.KnownHostsFile}
            """);
        // Only the config knows where cp-alias is, its port, user, key and known_hosts.
        await using var host = new OpenSshHost(new MasterHost("cp-1", "cp-alias"), new SshSettings(ConfigFile: config, Sudo: "never"));
        var id = await host.RunAsync(["id", "-u"], null, default);
        Assert.Equal((0, "0"), (id.ExitCode, id.Stdout.Trim()));

        // And from an inventory file, through the command line an operator runs.
        var inventory = _dir.Combine("etcd-dr.yaml");
        File.WriteAllText(inventory, $"""
            cluster: alias-test
            ssh:
              configFile: {config}
            masters:
              - name: cp-1
                address: cp-alias
            """);
        var check = await CliRunner.RunAsync("inventory", "check", "-i", inventory, "--connect", "--output", "json");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("ok (root commands run as root)", check.Stdout);

        // The same inventory without the config cannot resolve the alias: the file was what made it work.
        await using var bare = new OpenSshHost(new MasterHost("cp-1", "cp-alias"), new SshSettings(ConfigFile: "/dev/null", Sudo: "never"),
            new SshOptions(ConnectTimeout: TimeSpan.FromSeconds(5)));
        var ex = await Assert.ThrowsAsync<RemoteException>(() => bare.RunAsync(["id", "-u"], null, default));
        Assert.Equal(RemoteFailure.Unreachable, ex.Failure);
        Assert.Contains("cp-alias", ex.Message);
    }

    [Fact]
    public async Task A_proxy_jump_goes_through_the_bastion()
    {
        // The bastion is the same sshd under another name (ssh refuses a jump to the destination
        // itself as a loop). ssh hands -F to the jump's own ssh, but not -i or -o: the bastion's
        // port, user, key and known_hosts come from the file, as they would in real life.
        var config = WriteConfig($"""
            Host bastion
              HostName {SshdFixture.Address}
              Port {P}
              User root
              IdentityFile {sshd.IdentityFile}
              IdentitiesOnly yes
              UserKnownHostsFile {sshd.KnownHostsFile}
            Host bastion-down
              HostName {SshdFixture.Address}
              Port {LoopbackAddresses.FreePort(System.Net.IPAddress.Parse(SshdFixture.Address))}
              User root
            """);
        var settings = new SshSettings(User: "root", Port: sshd.Port, IdentityFile: sshd.IdentityFile, KnownHostsFile: sshd.KnownHostsFile,
            ConfigFile: config, ProxyJump: "bastion", Sudo: "never");
        await using var host = new OpenSshHost(new MasterHost("cp-1", SshdFixture.Address), settings);
        var session = await host.RunAsync(["sh", "-c", "echo $SSH_CONNECTION"], null, default);
        Assert.True(session.Succeeded, session.ToString());

        // SSH_CONNECTION names the client's end of the TCP connection. Direct, that is our ssh; through
        // the bastion, it is the bastion's sshd forwarding the channel.
        var fields = session.Stdout.Trim().Split(' ');
        var owner = await ProcessRunner.RunAsync("ss", ["-Htnp", "state", "established", "src", $"{fields[0]}:{fields[1]}"]);
        Assert.Contains("\"sshd", owner.Stdout);
        Assert.DoesNotContain("\"ssh\"", owner.Stdout);

        // A bastion that does not answer fails the command: the jump is really taken.
        await using var cut = new OpenSshHost(new MasterHost("cp-1", SshdFixture.Address), settings with { ProxyJump = "bastion-down" },
            new SshOptions(ConnectTimeout: TimeSpan.FromSeconds(5)));
        var ex = await Assert.ThrowsAsync<RemoteException>(() => cut.RunAsync(["true"], null, default));
        Assert.Equal(RemoteFailure.Unreachable, ex.Failure);
        Assert.StartsWith("cp-1: ", ex.Message);
    }
}
