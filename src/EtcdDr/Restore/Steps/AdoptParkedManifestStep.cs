using EtcdDr.Remote;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Restore.Steps;

/// <summary>A manifest parked by hand at /etc/kubernetes/etcd.yaml goes to the runtime's parking place (etcd stays stopped).</summary>
public sealed class AdoptParkedManifestStep : IRestoreStep
{
    public static readonly string Target = StaticPodParking.Parked("etcd.yaml");

    public StepKind Kind => StepKind.AdoptParkedManifest;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var host = context.Host(step.Host);
        var source = await host.ExistsAsync(HandParkedManifest.Path, true, ct).ConfigureAwait(false);
        var target = await host.ExistsAsync(Target, true, ct).ConfigureAwait(false);
        return source && target ? $"both {HandParkedManifest.Path} and {Target} exist on {step.Host}; keep one and resume"
            : !source && !target ? $"neither {HandParkedManifest.Path} nor {Target} exists on {step.Host}" : null;
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var host = context.Host(step.Host);
        if (!await host.ExistsAsync(HandParkedManifest.Path, true, ct).ConfigureAwait(false))
            return "already moved";
        await host.Must(["mkdir", "-p", "-m", "0700", StaticPodParking.ParkingDirectory], ct).ConfigureAwait(false);
        await host.Must(["mv", "-T", "--", HandParkedManifest.Path, Target], ct).ConfigureAwait(false);
        return $"moved to {Target}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct) =>
        await context.Host(step.Host).ExistsAsync(Target, true, ct).ConfigureAwait(false) ? null : $"{Target} is missing";
}
