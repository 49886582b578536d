using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Fleet;

/// <summary>
/// Every playbook passes the real `ansible-playbook --syntax-check` and `ansible-lint` (Debian's, the
/// production profile), so a Kubespray shop's CI that lints its playbooks accepts ours too.
/// </summary>
public sealed class PlaybookLintTests
{
    private static readonly string[] Files =
    [
        "playbooks/install.yml", "playbooks/snapshot.yml", "playbooks/pki-backup.yml", "playbooks/restore.yml", "playbooks/drill.yml",
        "vagrant/site.yml", "vagrant/kubeadm-cluster.yml", "vagrant/kubespray-cluster.yml",
    ];

    public static TheoryData<string> Playbooks() => new(Files);

    [Theory]
    [MemberData(nameof(Playbooks))]
    public async Task Syntax_check_passes(string playbook)
    {
        using var dir = TempDirectory.Create("syntax");
        var inventory = dir.Combine("hosts.yaml");
        await File.WriteAllTextAsync(inventory, """
            all:
              hosts:
                cp-1: { ansible_host: 127.0.0.1 }
              children:
                etcd: { hosts: { cp-1: } }
                kube_control_plane: { hosts: { cp-1: } }
                kube_node: { hosts: {} }
                k8s_cluster: { children: { kube_control_plane: , kube_node: } }
            """);
        var result = await ProcessRunner.RunAsync(Prerequisites.Require("ansible-playbook", "apt-get install ansible"),
            ["-i", inventory, "--syntax-check", Path.Combine(RepositoryPaths.Root, playbook)],
            new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(2), WorkingDirectory = RepositoryPaths.Root });
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Ansible_lint_production_profile_passes_on_every_playbook()
    {
        var lint = Prerequisites.Require("ansible-lint", "apt-get install ansible-lint");
        var result = await ProcessRunner.RunAsync(lint, ["--profile", "production", "--nocolor", .. Files],
            new ProcessRunOptions { Timeout = TimeSpan.FromMinutes(5), WorkingDirectory = RepositoryPaths.Root, Environment = new Dictionary<string, string?> { ["NO_COLOR"] = "1" } });
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Passed with production profile", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }
}
