namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A plain sshd on 127.0.106.1 for tests that need a remote host but not a lab master: throw-away
/// host and client keys, a known_hosts naming the host key (so checking stays strict), root login
/// by key only. Stopped and removed with the fixture.
/// </summary>
public class SshdFixture : IAsyncLifetime
{
    public static readonly string Address = TestNets.Address(106, 1);
    private readonly TempDirectory _dir = TempDirectory.Create("sshd");
    private System.Diagnostics.Process? _sshd;

    public int Port { get; private set; }

    /// <summary>sshd_config lines a derived fixture adds (before the Match block).</summary>
    protected virtual string ExtraConfig => "";

    /// <summary>A scratch folder of this fixture's own.</summary>
    protected string Combine(string name) => _dir.Combine(name);

    /// <summary>A second port on the same sshd whose sessions get a PATH without sudo (or anything
    /// else), so a test can see a host without sudo whether or not this machine has one.</summary>
    public int NoSudoPort { get; private set; }
    public string IdentityFile => _dir.Combine("client");
    public string KnownHostsFile => _dir.Combine("known_hosts");
    public string Root => _dir.CreateSubdirectory("remote");

    /// <summary>The ssh:// URL of a folder under <see cref="Root"/>, with the test's own key and known_hosts.</summary>
    public string Url(string folder) => $"ssh://root@{Address}:{Port}{Root}/{folder}?identity={IdentityFile}&known_hosts={KnownHostsFile}";

    public async Task InitializeAsync()
    {
        var sshd = Prerequisites.Require("/usr/sbin/sshd", "apt-get install openssh-server");
        Prerequisites.Require("ssh", "apt-get install openssh-client");
        Port = LoopbackAddresses.FreePort(System.Net.IPAddress.Parse(Address));
        do
            NoSudoPort = LoopbackAddresses.FreePort(System.Net.IPAddress.Parse(Address));
        while (NoSudoPort == Port);
        foreach (var (name, file) in new[] { ("host", _dir.Combine("host_key")), ("client", IdentityFile) })
            (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file])).EnsureSuccess("ssh-keygen");
        var hostKey = File.ReadAllText(_dir.Combine("host_key.pub")).Split(' ');
        File.WriteAllText(KnownHostsFile, $"[{Address}]:{Port} {hostKey[0]} {hostKey[1]}\n[{Address}]:{NoSudoPort} {hostKey[0]} {hostKey[1]}\n");
        File.WriteAllText(_dir.Combine("sshd_config"), $"""
            ListenAddress {Address}:{Port}
            ListenAddress {Address}:{NoSudoPort}
            HostKey {_dir.Combine("host_key")}
            PidFile {_dir.Combine("sshd.pid")}
            AuthorizedKeysFile {IdentityFile}.pub
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            {ExtraConfig}
            Match LocalPort {NoSudoPort}
              SetEnv PATH=/nonexistent-etcd-dr-test
            """);
        Directory.CreateDirectory("/run/sshd"); // privilege separation directory sshd insists on
        var info = new System.Diagnostics.ProcessStartInfo(sshd) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-D", "-e", "-f", _dir.Combine("sshd_config") })
            info.ArgumentList.Add(a);
        _sshd = System.Diagnostics.Process.Start(info)!;
        ChildProcessReaper.Track(_sshd);
        for (var i = 0; i < 50; i++)
        {
            var probe = await ProcessRunner.RunAsync("ssh", ["-i", IdentityFile, "-o", $"UserKnownHostsFile={KnownHostsFile}", "-o", "StrictHostKeyChecking=yes",
                "-o", "BatchMode=yes", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), $"root@{Address}", "true"]);
            if (probe.ExitCode == 0)
                return;
            if (_sshd.HasExited)
                throw new InvalidOperationException("sshd exited: " + await _sshd.StandardError.ReadToEndAsync());
            await Task.Delay(200);
        }
        throw new InvalidOperationException("sshd did not accept a login within 10 s");
    }

    public Task DisposeAsync()
    {
        if (_sshd is { HasExited: false })
            ProcessRunner.KillTree(_sshd);
        _dir.Dispose();
        return Task.CompletedTask;
    }
}
