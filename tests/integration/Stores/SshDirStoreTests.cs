using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>ssh://host/path against a real sshd: the shared contract plus strict host keys.</summary>
public sealed class SshDirStoreTests(SshdFixture sshd) : StoreContractTests, IClassFixture<SshdFixture>
{
    protected override ISnapshotStore CreateStore(string prefix) => StoreFactory.Open(sshd.Url(prefix));

    [Fact]
    public async Task A_host_key_not_in_known_hosts_is_refused()
    {
        using var dir = TempDirectory.Create();
        File.WriteAllText(dir.Combine("empty_known_hosts"), "");
        var url = sshd.Url("x").Replace(sshd.KnownHostsFile, dir.Combine("empty_known_hosts"), StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<EtcdDr.Remote.RemoteException>(() => StoreFactory.Open(url).WriteAsync("k", (s, ct) => s.WriteAsync(new byte[] { 1 }, ct).AsTask(), default));
        Assert.Equal(EtcdDr.Remote.RemoteFailure.HostKeyUnknown, ex.Failure);
    }

    [Fact]
    public async Task Snapshot_save_to_an_ssh_destination_lists_verified()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "sshstore" });
        var url = sshd.Url("e2e");
        var save = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "--cluster", "lab", "--to", url]);
        Assert.True(save.ExitCode == 0, save.ToString());
        var list = await CliRunner.RunAsync("snapshot", "list", "--from", url, "--cluster", "lab", "--output", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("\"verified\": true", list.Stdout);
    }

    [Fact]
    public async Task The_cli_closes_its_ssh_connection_when_it_ends()
    {
        Directory.CreateDirectory(Path.Combine(sshd.Root, "closing"));
        var list = await CliRunner.RunAsync("snapshot", "list", "--from", sshd.Url("closing"), "--cluster", "lab");
        Assert.True(list.ExitCode == 0, list.ToString());
        // A backgrounded OpenSSH master renames itself "ssh: CONTROL_PATH [mux]". Once etcd-dr is
        // done with a host it deletes the control folder, so a master whose folder is gone has been
        // orphaned: it would linger for ControlPersist. "ssh -O exit" makes it go, in a moment.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (OrphanedMasters().Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Empty(OrphanedMasters());
    }

    private static List<string> OrphanedMasters() =>
        [.. ProcessTable.CommandLines()
            .Select(line => System.Text.RegularExpressions.Regex.Match(line, @"^ssh: (\S*/etcd-dr-ssh-[^/\s]+)/\S+ \[mux\]"))
            .Where(m => m.Success && !Directory.Exists(m.Groups[1].Value))
            .Select(m => m.Value)];
}
