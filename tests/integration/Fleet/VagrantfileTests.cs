using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Fleet;

/// <summary>
/// The Vagrant lab cannot boot here (no hypervisor, no internet): what can be checked is checked for
/// real. Debian's ruby and vagrant accept the Vagrantfile, and the inventory it writes is one that
/// `etcd-dr inventory check` accepts, with the three control-plane VMs as the etcd masters.
/// </summary>
public sealed class VagrantfileTests
{
    /// <summary>A copy of what the Vagrantfile reads, so validating it writes nothing into the checkout.</summary>
    private static TempDirectory CopyOfVagrantFiles()
    {
        var dir = TempDirectory.Create("vagrant");
        File.Copy(Path.Combine(RepositoryPaths.Root, "Vagrantfile"), dir.Combine("Vagrantfile"));
        Directory.CreateDirectory(dir.Combine("vagrant"));
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "vagrant"), "*.rb"))
            File.Copy(file, dir.Combine(Path.Combine("vagrant", Path.GetFileName(file))));
        return dir;
    }

    [Fact]
    public async Task Ruby_and_vagrant_validate_accept_the_vagrantfile()
    {
        using var dir = CopyOfVagrantFiles();
        var ruby = await ProcessRunner.RunAsync(Prerequisites.Require("ruby", "apt-get install ruby"), ["-c", dir.Combine("Vagrantfile")]);
        Assert.True(ruby.ExitCode == 0, ruby.ToString());
        var validate = await ProcessRunner.RunAsync(Prerequisites.Require("vagrant", "apt-get install vagrant"), ["validate", "--ignore-provider"],
            new ProcessRunOptions { WorkingDirectory = dir.Path, Timeout = TimeSpan.FromMinutes(3), Environment = new Dictionary<string, string?> { ["HOME"] = dir.Path, ["VAGRANT_HOME"] = dir.Combine(".vagrant.d") } });
        Assert.True(validate.ExitCode == 0, validate.ToString());
        Assert.Contains("validated successfully", validate.Stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(dir.Combine("vagrant/inventory.yaml")), "the Vagrantfile writes vagrant/inventory.yaml");
    }

    [Theory]
    [InlineData("kubeadm")]
    [InlineData("kubespray")]
    public async Task The_inventory_it_writes_is_accepted_by_etcd_dr(string flavor)
    {
        using var dir = CopyOfVagrantFiles();
        // On the operator box the lab key exists; here a stand-in file takes its place.
        var key = dir.Combine("etcd_dr_lab");
        await File.WriteAllTextAsync(key, "not a real key\n");
        var render = await ProcessRunner.RunAsync(Prerequisites.Require("ruby", "apt-get install ruby"), [dir.Combine("vagrant/nodes.rb"), flavor],
            new ProcessRunOptions { Environment = new Dictionary<string, string?> { ["ETCD_DR_LAB_KEY_PATH"] = key } });
        Assert.True(render.ExitCode == 0, render.ToString());
        Assert.Contains(key, render.Stdout, StringComparison.Ordinal);
        var inventory = dir.Combine("vagrant/inventory.yaml");
        await File.WriteAllTextAsync(inventory, render.Stdout);

        var check = await CliRunner.RunAsync("inventory", "check", "-i", inventory, "--output", "json");
        Assert.True(check.ExitCode == 0, check.ToString());
        foreach (var name in new[] { "cp-1", "cp-2", "cp-3" })
            Assert.Contains($"\"{name}\"", check.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("worker-1", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("192.168.56.13", check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_flavor_is_refused_by_name()
    {
        using var dir = CopyOfVagrantFiles();
        var render = await ProcessRunner.RunAsync(Prerequisites.Require("ruby", "apt-get install ruby"), [dir.Combine("vagrant/nodes.rb"), "rke2"]);
        Assert.NotEqual(0, render.ExitCode);
        Assert.Contains("kubeadm, kubespray", render.Stderr, StringComparison.Ordinal);
    }
}
