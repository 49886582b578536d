using EtcdDr.Remote;
using EtcdDr.Remote.Docker;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Topology;

/// <summary>
/// The engine's side of discovering a Docker master: the files said which container and image the
/// wrapper runs; the engine says what really runs (container, image, state, mounts) and its own
/// version. Read-only, and optional: an engine that cannot be reached leaves a note, not a failure.
/// </summary>
public static class DockerDiscovery
{
    public static async Task<MasterTopology> AddEngineFactsAsync(MasterTopology topology, IRemoteHost host, CancellationToken ct)
    {
        if (topology.Flavor != EtcdFlavor.KubesprayDocker || host is not IUnixSocketForwardingHost)
            return topology;
        try
        {
            await using var engine = await DockerEngine.ConnectAsync(host, DockerEngine.DefaultSocket, ct).ConfigureAwait(false);
            return await AddAsync(topology, engine, ct).ConfigureAwait(false);
        }
        catch (DrException ex)
        {
            return topology with { Notes = [.. topology.Notes, $"the Docker engine was not asked about the etcd container: {ex.Message}"] };
        }
    }

    public static async Task<MasterTopology> AddAsync(MasterTopology topology, IDockerEngine engine, CancellationToken ct)
    {
        var version = await engine.VersionAsync(ct).ConfigureAwait(false);
        var notes = new List<string>(topology.Notes);
        var container = await DockerEtcdContainer.FindAsync(engine, topology.ContainerName, topology.Image, ct).ConfigureAwait(false);
        if (container is null)
        {
            notes.Add($"the Docker engine knows no etcd container (looked for {topology.ContainerName ?? "-"} by name, {topology.Image ?? "an .../etcd image"}, and io.kubernetes.container.name=etcd)");
            return topology with { ContainerEngine = $"docker {version.Version}, API {version.ApiVersion}", Notes = notes };
        }
        notes.Add($"container {container.Name} ({container.Id[..Math.Min(12, container.Id.Length)]}) is {container.Status}, image {container.Image}, network {container.NetworkMode ?? "default"}, "
            + $"mounts {string.Join(", ", container.Mounts.Select(m => $"{m.Source}:{m.Destination}{(m.ReadWrite ? "" : ":ro")}"))}");
        if (topology.Image is { } configured && configured != container.Image)
            notes.Add($"the wrapper names image {configured} but the container runs {container.Image}");
        var dataDir = topology.PodDataDir is { } inside ? container.Mounts.FirstOrDefault(m => inside == m.Destination || inside.StartsWith(m.Destination.TrimEnd('/') + "/", StringComparison.Ordinal)) : null;
        if (topology.PodDataDir is { } pod && dataDir is null)
            notes.Add($"no mount of the container holds its data dir {pod}: its data lives in the container's own layer and a restore cannot reach it");
        return topology with
        {
            ContainerName = container.Name,
            Image = container.Image,
            ContainerEngine = $"docker {version.Version}, API {version.ApiVersion}",
            Notes = notes,
        };
    }
}
