using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;
using EtcdDr.Remote;
using EtcdDr.Remote.Docker;

namespace EtcdDr.IntegrationTests.Docker;

/// <summary>Docker.DotNet against a real dockerd on a kubespray-docker master, through the socket forwarded
/// over the master's SSH connection: version, inspect, exec etcdctl in the etcd container, a one-shot
/// container of the same image, and the forward gone afterwards.</summary>
public class DockerEngineLabTests
{
    [Fact]
    public async Task Engine_api_over_the_forwarded_socket_inspects_execs_and_runs_one_shot_containers()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("docker-engine"), TestNets.Net(185), LabFlavor.KubesprayDocker, masters: 1);
        try
        {
            await lab.UpAsync();
            var inventory = InventoryLoader.Load(lab.Paths.Inventory);
            string? socket;
            await using (var host = new OpenSshHost(inventory.Masters[0], inventory.Ssh))
            {
                await using (var engine = await DockerEngine.ConnectAsync(host, DockerEngine.DefaultSocket, CancellationToken.None))
                {
                    var version = await engine.VersionAsync(CancellationToken.None);
                    Assert.StartsWith("20.10", version.Version);
                    var etcd = await engine.InspectAsync("etcd1", CancellationToken.None);
                    Assert.NotNull(etcd);
                    Assert.True(etcd.Running);
                    Assert.Equal("quay.io/coreos/etcd:v3.4.23", etcd.Image);
                    Assert.Equal("host", etcd.NetworkMode);
                    Assert.Contains(etcd.Environment, e => e == "ETCD_NAME=master-1");
                    Assert.Contains(etcd.Mounts, m => m is { Source: "/var/lib/etcd", Destination: "/var/lib/etcd", ReadWrite: true });
                    Assert.Null(await engine.InspectAsync("no-such-container", CancellationToken.None));

                    var exec = await engine.ExecAsync("etcd1", ["etcdctl", "endpoint", "health"], CancellationToken.None);
                    Assert.True(exec.ExitCode == 0, exec.Stdout + exec.Stderr);
                    Assert.Contains("is healthy", exec.Stdout + exec.Stderr);

                    var once = await engine.RunOnceAsync(new OneShotContainer("etcd-dr-test-once", etcd.Image, ["etcdctl", "version"], [], [],
                        new Dictionary<string, string> { [EtcdDr.Topology.Runtimes.DockerRestoreExecutor.RoleLabel] = "test" }, TimeSpan.FromMinutes(2)), CancellationToken.None);
                    Assert.Equal(0, once.ExitCode);
                    Assert.Contains("etcdctl version: 3.4.23", once.Stdout);
                    Assert.DoesNotContain(await engine.ListContainersAsync(CancellationToken.None), c => c.Names.Contains("etcd-dr-test-once"));
                    var mine = ControlDirectoryOwner.Current()!.ToString();
                    socket = Directory.EnumerateDirectories(Path.GetTempPath(), "etcd-dr-ssh-*")
                        .Where(d => File.Exists(Path.Combine(d, "owner")) && File.ReadAllText(Path.Combine(d, "owner")) == mine)
                        .SelectMany(d => Directory.EnumerateFiles(d, "fwd-*.sock")).FirstOrDefault();
                    Assert.NotNull(socket);
                }
                Assert.False(File.Exists(socket), $"{socket} is left after the engine was closed");
            }
        }
        finally
        {
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }
    }
}
