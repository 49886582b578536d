namespace EtcdDr.Topology;

/// <summary>A path as etcd sees it, translated to the host.</summary>
/// <param name="Mount">The mount that carried it; null when the path is not inside any mount.</param>
public sealed record MappedPath(string InsidePath, string HostPath, PathMount? Mount)
{
    /// <summary>True when the host can reach the file: a host deployment, or a bind of a host path.</summary>
    public bool OnHost => Mount is null || Mount.HostPath is not null;
}

/// <summary>
/// Turns paths etcd sees (inside a pod or container) into host paths through the mounts: the longest
/// mount point that contains the path wins, as in the container's own mount table. With no mounts
/// (a host deployment) every path is already a host path.
/// </summary>
public sealed class PathMap(IReadOnlyList<PathMount> mounts, bool containerized)
{
    public static readonly PathMap Host = new([], false);

    public bool Containerized => containerized;

    public IReadOnlyList<PathMount> Mounts => mounts;

    public MappedPath Map(string path)
    {
        if (!containerized)
            return new MappedPath(path, path, null);
        var normal = Normalize(path);
        PathMount? best = null;
        foreach (var mount in mounts)
        {
            var point = Normalize(mount.ContainerPath);
            if ((normal == point || normal.StartsWith(point == "/" ? "/" : point + "/", StringComparison.Ordinal))
                && (best is null || point.Length > Normalize(best.ContainerPath).Length))
                best = mount;
        }
        if (best is null)
            return new MappedPath(path, path, new PathMount(path, null, "the container's own filesystem"));
        if (best.HostPath is null)
            return new MappedPath(path, path, best);
        var rest = normal[Normalize(best.ContainerPath).Length..].TrimStart('/');
        var host = Normalize(best.HostPath);
        return new MappedPath(path, rest.Length == 0 ? host : host.TrimEnd('/') + "/" + rest, best);
    }

    /// <summary>Drops a trailing slash and "." segments; ".." is left as written (a manifest with ".." is noted, not resolved).</summary>
    private static string Normalize(string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(p => p != ".");
        return "/" + string.Join('/', parts);
    }
}
