using System.Diagnostics;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>An sshd that accepts every variable a client sends and records each session's
/// environment (a ForceCommand that writes `env`, then runs the command asked for).</summary>
public sealed class EnvRecordingSshd : SshdFixture, IAsyncLifetime
{
    public string RemoteEnvFile => Combine("remote.env");

    private string Script => Combine("record-env");

    protected override string ExtraConfig => $"AcceptEnv *\nForceCommand {Script}";

    public new async Task InitializeAsync()
    {
        File.WriteAllText(Script, $"#!/bin/sh\nenv >> {RemoteEnvFile}\necho ===== >> {RemoteEnvFile}\nexec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n");
        File.SetUnixFileMode(Script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await base.InitializeAsync();
    }
}

/// <summary>
/// Secrets in etcd-dr's environment never reach an ssh child, and so never the master: ssh, its
/// LocalCommand/ProxyCommand and every `SendEnv` see only the allow-listed variables.
/// </summary>
public sealed class SshChildEnvironmentTests(EnvRecordingSshd sshd) : IClassFixture<EnvRecordingSshd>, IDisposable
{
    private readonly TempDirectory _dir = TempDirectory.Create("ssh-env");

    public void Dispose() => _dir.Dispose();

    private static readonly string[] Secrets =
        ["ETCD_DR_PASSPHRASE", "AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN", "ETCDCTL_PASSWORD"];

    [Fact]
    public async Task Secrets_reach_neither_the_local_ssh_nor_the_master()
    {
        var marker = Guid.NewGuid().ToString("N");
        var localEnv = _dir.Combine("local.env");
        // SendEnv asks ssh to hand these to the master (and the sshd accepts them all); LocalCommand
        // runs in ssh's own environment, so it shows what the ssh process itself was given.
        var config = _dir.Combine("ssh_config");
        File.WriteAllText(config, $"""
            Host *
              SendEnv {string.Join(' ', Secrets)} LC_ETCD_DR_TEST
              PermitLocalCommand yes
              LocalCommand env > {localEnv}
            """);
        var inventory = _dir.Combine("etcd-dr.yaml");
        File.WriteAllText(inventory, $"""
            cluster: env-test
            ssh:
              user: root
              port: {sshd.Port}
              identityFile: {sshd.IdentityFile}
              knownHostsFile: {sshd.KnownHostsFile}
              configFile: {config}
              sudo: never
            masters:
              - name: cp-1
                address: {SshdFixture.Address}
            """);
        File.Delete(sshd.RemoteEnvFile);

        var argv = EtcdDr.Lab.SelfInvocation.Argv();
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1).Concat(["inventory", "check", "-i", inventory, "--connect", "--output", "json"]))
            start.ArgumentList.Add(a);
        foreach (var name in Secrets)
            start.Environment[name] = $"secret-{name}-{marker}";
        start.Environment["LC_ETCD_DR_TEST"] = $"allowed-{marker}"; // the control: LC_* is passed, and sent
        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = await child.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
            await child.WaitForExitAsync(limit.Token);
        Assert.True(child.ExitCode == 0, $"exit {child.ExitCode}: {await stdout}{stderr}");
        Assert.Contains("ok (root commands run as root)", await stdout);

        var remote = File.ReadAllText(sshd.RemoteEnvFile);
        var local = File.ReadAllText(localEnv);
        // The plumbing works: what is allowed arrives on both sides.
        Assert.Contains($"LC_ETCD_DR_TEST=allowed-{marker}", remote);
        Assert.Contains($"LC_ETCD_DR_TEST=allowed-{marker}", local);
        Assert.Contains("PATH=", local);
        // And no secret does, under its name or any other.
        Assert.DoesNotContain(marker + "\n", remote.Replace($"allowed-{marker}\n", "", StringComparison.Ordinal));
        Assert.DoesNotContain(marker + "\n", local.Replace($"allowed-{marker}\n", "", StringComparison.Ordinal));
        foreach (var name in Secrets)
        {
            Assert.DoesNotContain(name + "=", remote);
            Assert.DoesNotContain(name + "=", local);
        }
    }
}
