using EtcdDr.Cli;
using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

/// <summary>`etcd-dr inventory check` on broken and incomplete inventories, through the real command line.</summary>
public class InventoryCheckCliTests
{
    private static async Task<(int Exit, string Stdout, string Stderr)> CheckAsync(string path)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr), ["inventory", "check", "-i", path, "--output", "json"]);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("etcd-dr.yaml", "cluster: c\nmasters:\n  - { name: a, address: 10.0.0.1 }\n  - { name: b }\n", "etcd-dr.yaml:4: masters[1] (b) has no address")]
    [InlineData("etcd-dr.yaml", "cluster: c\nssh:\n  sudo: maybe\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", "etcd-dr.yaml:3: ssh.sudo is 'maybe'")]
    [InlineData("etcd-dr.yaml", "cluster: c\nmasters:\n  - name: a\n    address: 10.0.0.1\n    etcdClientUrl: 10.0.0.1:2379\n", "etcd-dr.yaml:5: masters[0] (a): etcdClientUrl")]
    [InlineData("etcd-dr.yaml", "cluster: c\nmasters:\n  - { name: a, address: [ }\n", "etcd-dr.yaml:3:")]
    [InlineData("hosts.ini", "[etcd]\ncp1 ansible_host=10.0.0.1\ncp2 ansible_host=\"10.0.0.2\n", "hosts.ini:3: unterminated")]
    [InlineData("hosts.yaml", "all:\n  hosts:\n    cp1: { ansible_host: 10.0.0.1\n", "hosts.yaml:")]
    public async Task A_broken_file_exits_2_naming_file_and_line(string name, string content, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File(name), content);
        var (exit, _, stderr) = await CheckAsync(dir.File(name));
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains(dir.File(expected), stderr);
    }

    [Fact]
    public async Task Missing_identity_and_known_hosts_files_are_reported()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("key"), "not really a key");
        var inventory = new Inventory("c", new SshSettings(IdentityFile: dir.File("nope/id_ed25519"), KnownHostsFile: dir.File("nope/known_hosts")),
            [new MasterHost("a", "10.0.0.1"), new MasterHost("b", "10.0.0.2", IdentityFile: dir.File("b-key")), new MasterHost("c", "10.0.0.3", IdentityFile: dir.File("key"))]);
        File.WriteAllText(dir.File("etcd-dr.yaml"), InventoryFile.Serialize(inventory));

        var (exit, stdout, stderr) = await CheckAsync(dir.File("etcd-dr.yaml"));
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains($"ssh.identityFile {dir.File("nope/id_ed25519")} does not exist", stderr);
        Assert.Contains($"ssh.knownHostsFile {dir.File("nope/known_hosts")} does not exist", stderr);
        Assert.Contains($"b: identity file {dir.File("b-key")} does not exist", stderr);
        Assert.DoesNotContain(dir.File("key") + " ", stderr);
        Assert.Contains("\"cluster\"", stdout, StringComparison.OrdinalIgnoreCase); // the table is still shown

        // With the files in place the same inventory passes (no --connect: nothing dials out).
        Directory.CreateDirectory(dir.File("nope"));
        File.WriteAllText(dir.File("nope/id_ed25519"), "k");
        File.WriteAllText(dir.File("nope/known_hosts"), "");
        File.WriteAllText(dir.File("b-key"), "k");
        var fixedUp = await CheckAsync(dir.File("etcd-dr.yaml"));
        Assert.True(fixedUp.Exit == 0, fixedUp.Stderr);
    }

    [Fact]
    public void Tilde_is_expanded_like_ssh_does() =>
        Assert.Equal(["ssh.identityFile ~/.ssh/none-such does not exist (/home/ops/.ssh/none-such)"],
            InventoryChecks.MissingFiles(new Inventory("c", new SshSettings(IdentityFile: "~/.ssh/none-such"), [new MasterHost("a", "10.0.0.1")]), home: "/home/ops"));
}
