using EtcdDr.IntegrationTests.Lab;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// A lab per flavor for the operator-side tests (discovery, remote snapshots, PKI over SSH), on
/// nets of their own (127.0.107.x, 127.0.108.x; the lab's own tests hold 101-104) so they run beside the lab's own tests.
/// </summary>
public abstract class RemoteLabFixture(LabFlavor flavor, string net) : IAsyncLifetime
{
    public LabHarness Lab { get; } = new(LabHarness.NewStateDirectory("remote-" + flavor.ToString().ToLowerInvariant()), net, flavor);

    public string Inventory => Lab.Paths.Inventory;

    public Task InitializeAsync() => Lab.UpAsync();

    public async Task DisposeAsync() => await LabHarness.CliAsync("lab", "down", "--state", Lab.State);
}

public sealed class RemoteKubeadmLabFixture() : RemoteLabFixture(LabFlavor.Kubeadm, TestNets.Net(107));

public sealed class RemoteKubesprayLabFixture() : RemoteLabFixture(LabFlavor.Kubespray, TestNets.Net(108));
