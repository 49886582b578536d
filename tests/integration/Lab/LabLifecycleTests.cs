using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>The lab's guard rails: root only, argument checks, and `lab down` after a crash.</summary>
public sealed class LabLifecycleTests
{
    [Fact]
    public async Task Lab_refuses_to_run_without_root_and_says_so()
    {
        var setpriv = Prerequisites.Require("setpriv", "apt-get install util-linux");
        var etcdDr = Path.Combine(AppContext.BaseDirectory, "etcd-dr");
        var result = await ProcessRunner.RunAsync(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", etcdDr, "lab", "down", "--state", "/tmp/etcd-dr-lab-not-root"],
            new ProcessRunOptions { Environment = new Dictionary<string, string?> { ["DOTNET_CLI_HOME"] = "/tmp", ["HOME"] = "/tmp" } });
        Assert.Equal(5, result.ExitCode);
        Assert.Contains("etcd-dr lab needs root (namespaces, sshd, iptables); run it with sudo", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--net", "10.0.0")]
    [InlineData("--net", "127.0.0")]
    [InlineData("--masters", "0")]
    [InlineData("--state", "/etc/etcd-dr-lab")]
    [InlineData("--state", "relative/lab")]
    public async Task Up_rejects_bad_arguments_with_exit_code_2_before_touching_anything(string option, string value)
    {
        string[] args = option == "--state" ? ["lab", "up", option, value] : ["lab", "up", option, value, "--state", LabHarness.NewStateDirectory("bad")];
        var (exit, _, stderr) = await LabHarness.CliAsync(args);
        Assert.Equal(2, exit);
        Assert.Contains(option, stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists("/etc/etcd-dr-lab"));
    }

    /// <summary>Both flavors: kubeadm's master also runs the stand-in kubelet and a static pod,
    /// stragglers Kubespray's does not have. Each on its own net, so they can run side by side.</summary>
    [Theory]
    [InlineData(LabFlavor.Kubespray, 103)]
    [InlineData(LabFlavor.Kubeadm, 105)]
    public async Task Down_after_a_crash_finds_every_straggler_and_is_idempotent(LabFlavor flavor, int net)
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("crash"), TestNets.Net(net), flavor, masters: 1);
        try
        {
            await lab.UpAsync();
            Assert.True(await lab.MemberHealthyAsync(1));
            Assert.NotEmpty(lab.LeftoverProcesses());

            // The crash: the master's init dies without cleaning up, its pid file and lab.json are lost.
            var init = ProcessIdentity.Read(lab.Paths.Master("master-1").InitPid)!;
            Assert.True(PosixKill(init.Pid));
            File.Delete(lab.Paths.Master("master-1").InitPid);
            File.Delete(lab.Paths.StateFile);
            await lab.WaitAsync(() => Task.FromResult(!init.IsAlive), TimeSpan.FromSeconds(10), "the init dying");
            Assert.NotEmpty(lab.LeftoverProcesses()); // etcd and sshd live on, orphaned

            var (exit, stdout, stderr) = await LabHarness.CliAsync("lab", "down", "--state", lab.State);
            Assert.True(exit == 0, stdout + stderr);
            Assert.Empty(lab.LeftoverProcesses());
            Assert.False(Directory.Exists(lab.State));
            Assert.Equal(0, (await LabHarness.CliAsync("lab", "down", "--state", lab.State)).Exit);
        }
        finally
        {
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }
    }

    private static bool PosixKill(int pid)
    {
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
