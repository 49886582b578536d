using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>The lab tests on net 112 take turns: each brings up and takes down a lab of its own there.</summary>
[CollectionDefinition(Name)]
public sealed class LabNet112Collection
{
    public const string Name = "lab on net 112";
}

/// <summary>Issue 9: `lab replace` on Kubespray, with an explicit --address.</summary>
[Collection(LabNet112Collection.Name)]
public sealed class LabReplaceKubesprayTests
{
    [Fact]
    public async Task Replace_lays_out_etcd_env_for_the_new_address_with_etcd_stopped_and_disabled_and_no_certificates()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("replace"), TestNets.Net(112), LabFlavor.Kubespray, masters: 1);
        try
        {
            await lab.UpAsync();
            await lab.LabAsync("break", "lose-host", "--host", "master-1");
            var outside = await LabHarness.CliAsync("lab", "replace", "--host", "master-1", "--address", lab.Net + ".12", "--state", lab.State);
            Assert.True(outside.Exit == 2, $"an address the certificates do not cover: exit {outside.Exit} {outside.Stderr}");

            var newAddress = lab.Net + ".5";
            Assert.Contains(newAddress, await lab.LabAsync("replace", "--host", "master-1", "--address", newAddress), StringComparison.Ordinal);
            var checks = await lab.SshToAsync(newAddress, """
                hostname
                [ -e /etc/ssl/etcd/ssl ] && echo "certificates present"
                test -f /etc/systemd/system/etcd.service && echo unit
                grep -c '^ETCD_ADVERTISE_CLIENT_URLS=https://NEW:2379$' /etc/etcd.env
                echo "etcd $(systemctl is-active etcd) $(systemctl is-enabled etcd)"
                echo "kubelet $(systemctl is-active kubelet)"
                echo "data entries $(ls -A /var/lib/etcd | wc -l)"
                """.Replace("NEW", newAddress, StringComparison.Ordinal));
            Assert.True(checks.ExitCode == 0, checks.Stdout + checks.Stderr);
            Assert.Equal(["master-1", "unit", "1", "etcd inactive disabled", "kubelet active", "data entries 0"], checks.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal([newAddress], InventoryFile.Load(lab.Paths.Inventory).Masters.Select(m => m.Address));
        }
        finally
        {
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }
    }
}
