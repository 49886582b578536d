using EtcdDr.Remote.Docker;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Finds the etcd container on a Docker master the way an operator would: by the name Kubespray's
/// wrapper gives it (--name, read by discovery), else by its image (a repository ending in /etcd),
/// else by labels (io.kubernetes.container.name=etcd on a dockershim kubeadm node). A running one
/// is preferred over an exited one.
/// </summary>
public static class DockerEtcdContainer
{
    public static async Task<DockerContainerDetails?> FindAsync(IDockerEngine engine, string? name, string? image, CancellationToken ct)
    {
        if (name is { Length: > 0 } && await engine.InspectAsync(name, ct).ConfigureAwait(false) is { } byName)
            return byName;
        var all = await engine.ListContainersAsync(ct).ConfigureAwait(false);
        var candidates = all.Where(c => IsEtcdImage(c.Image, image) || c.Labels.GetValueOrDefault("io.kubernetes.container.name") == "etcd")
            .Where(c => !c.Labels.ContainsKey(DockerRestoreExecutor.RoleLabel)) // our own one-shot restore containers
            .OrderByDescending(c => c.State == "running")
            .ToList();
        return candidates.Count == 0 ? null : await engine.InspectAsync(candidates[0].Id, ct).ConfigureAwait(false);
    }

    private static bool IsEtcdImage(string actual, string? expected) =>
        expected is { Length: > 0 } ? actual == expected : actual.Split(':')[0].Split('/')[^1] == "etcd";
}
