using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>
/// One lab per flavor, shared by that flavor's test class (its tests run in <see cref="StepAttribute"/>
/// order and leave the lab healthy, except the last, which breaks it for good and takes it down).
/// Each flavor has its own loopback /24 and state folder, so both classes run in parallel with each
/// other and with the other integration tests (which never use 127.0.101-104.x).
/// </summary>
public abstract class LabFixture : IAsyncLifetime
{
    protected LabFixture(LabFlavor flavor, string net) =>
        Lab = new LabHarness(LabHarness.NewStateDirectory(flavor.ToString().ToLowerInvariant()), net, flavor);

    public LabHarness Lab { get; }

    /// <summary>What the host's /etc/kubernetes looked like before the lab: absent, or its entries.</summary>
    public string? HostEtcKubernetesBefore { get; private set; }

    public static string? Snapshot(string folder) =>
        Directory.Exists(folder) ? string.Join('\n', Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)) : null;

    public async Task InitializeAsync()
    {
        HostEtcKubernetesBefore = Snapshot("/etc/kubernetes");
        await Lab.UpAsync();
    }

    public async Task DisposeAsync()
    {
        // Idempotent: the last test already ran `lab down`; this catches a run that failed earlier.
        await LabHarness.CliAsync("lab", "down", "--state", Lab.State);
    }
}

public sealed class KubeadmLabFixture() : LabFixture(LabFlavor.Kubeadm, TestNets.Net(101));

public sealed class KubesprayLabFixture() : LabFixture(LabFlavor.Kubespray, TestNets.Net(102));
