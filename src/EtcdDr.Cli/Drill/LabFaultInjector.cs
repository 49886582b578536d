using System.Text.RegularExpressions;
using EtcdDr.Drill;
using EtcdDr.Lab;

namespace EtcdDr.Cli.Drill;

/// <summary>The drill's faults as the lab's own `lab break` faults (docs/lab.md).</summary>
public sealed partial class LabFaultInjector(string stateDirectory) : IFaultInjector
{
    public async Task<FaultResult> BreakAsync(DrillFault fault, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fault);
        var lines = new List<string>();
        var moved = new List<MovedDataDir>();
        var flavor = LabState.Load(stateDirectory).Spec.Flavor;
        foreach (var host in fault.Hosts)
        {
            var (kind, noRestart) = fault.Kind switch
            {
                // etcd down and kept down on a majority, and nothing else broken. Kubespray: kill
                // --no-restart (etcd.service ends failed). kubeadm: the manifest moved out of
                // manifests/ as an operator stops a static pod, the kubelet running; kill
                // --no-restart would kill the kubelet too, and a restore cannot stop the API
                // servers of masters whose kubelet is dead (they kept :6443 past 120 s).
                DrillFaultKind.StopEtcd when flavor == LabFlavor.Kubeadm => (LabBreakKind.StopEtcd, false),
                DrillFaultKind.StopEtcd => (LabBreakKind.KillEtcd, true),
                DrillFaultKind.WipeData => (LabBreakKind.WipeData, false),
                DrillFaultKind.CorruptData => (LabBreakKind.CorruptData, false),
                DrillFaultKind.LoseHost => (LabBreakKind.LoseHost, false),
                _ => throw new DrException($"the lab has no fault for {fault.Kind}", FailureKind.Usage),
            };
            var message = await LabController.BreakAsync(stateDirectory, kind, host, noRestart, ct).ConfigureAwait(false);
            lines.Add($"{host}: {message.Trim()}");
            // The lab's wipe moves the data dir's content aside inside the master and says where.
            if (WipedInto().Match(message) is { Success: true } m)
                moved.Add(new MovedDataDir(host, m.Groups["from"].Value, m.Groups["to"].Value, "lab wipe-data"));
        }
        return new FaultResult(lines, moved);
    }

    /// <summary>`lab replace --host`: a fresh master on the next free address, no etcd running and no PKI.</summary>
    public async Task<string> ProvisionReplacementAsync(string master, CancellationToken ct)
    {
        await LabController.ReplaceAsync(stateDirectory, master, null, TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        return LabState.Load(stateDirectory).Spec.Master(master).Address.ToString();
    }

    [GeneratedRegex(@"(?<from>/\S+) is empty, its content is in (?<to>/\S+)")]
    private static partial Regex WipedInto();
}
