using System.Globalization;
using EtcdDr.Topology;

namespace EtcdDr.Drill;

/// <summary>
/// Faults on a real cluster, over SSH through each master's flavor runtime. Nothing is ever deleted
/// or scribbled over: "wipe", "corrupt" and "lose" all stop etcd and move its data dir aside, which is
/// what a lost disk looks like to etcd and what the restore must cope with. A replacement master for
/// lose-master cannot be conjured over SSH: the operator names a spare machine (--replacement).
/// </summary>
public sealed class SshFaultInjector(IReadOnlyDictionary<string, IEtcdRuntime> runtimes, IReadOnlyDictionary<string, string> spareAddresses, TimeProvider time) : IFaultInjector
{
    public async Task<FaultResult> BreakAsync(DrillFault fault, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(fault);
        var lines = new List<string>();
        var moved = new List<MovedDataDir>();
        var stamp = time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        // One host at a time, in order: a majority stopped one by one is how quorum is really lost.
        foreach (var name in fault.Hosts)
        {
            var runtime = runtimes.TryGetValue(name, out var r) ? r : throw new DrException($"{name} is not a master of this inventory", FailureKind.Usage);
            if (fault.Kind == DrillFaultKind.LoseHost)
                await runtime.StopControlPlaneAsync(ct).ConfigureAwait(false);
            await runtime.StopEtcdAsync(ct).ConfigureAwait(false);
            if (fault.Kind == DrillFaultKind.StopEtcd)
            {
                lines.Add($"{name}: etcd stopped");
                continue;
            }
            var aside = $"{runtime.DataDir.TrimEnd('/')}.drill-{stamp}";
            await runtime.MoveDataDirAsideAsync(aside, ct).ConfigureAwait(false);
            moved.Add(new MovedDataDir(name, runtime.DataDir, aside, "drill fault"));
            lines.Add($"{name}: etcd stopped, {runtime.DataDir} moved to {aside}" + (fault.Kind == DrillFaultKind.LoseHost ? "; control plane stopped" : ""));
        }
        return new FaultResult(lines, moved);
    }

    public Task<string> ProvisionReplacementAsync(string master, CancellationToken ct) =>
        spareAddresses.TryGetValue(master, out var address)
            ? Task.FromResult(address)
            : throw new DrException($"lose-master on a real cluster needs a spare machine for {master}: give --replacement {master}=ADDRESS (reachable over SSH like the masters, no etcd yet)", FailureKind.Usage);
}
