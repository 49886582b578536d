namespace EtcdDr.Remote.Docker;

/// <summary>
/// What etcd-dr asks of a master's Docker engine: its version, the etcd container (found and
/// inspected), `exec` in it, and a one-shot container from the same image. The real one talks to the
/// engine API over an SSH-forwarded socket (<see cref="DockerEngine"/>); tests record the calls.
/// </summary>
public interface IDockerEngine : IAsyncDisposable
{
    Task<DockerEngineVersion> VersionAsync(CancellationToken ct);

    /// <summary>All containers, running or not, with the engine's labels.</summary>
    Task<IReadOnlyList<DockerContainerSummary>> ListContainersAsync(CancellationToken ct);

    /// <summary>Null when no container has that name or id.</summary>
    Task<DockerContainerDetails?> InspectAsync(string nameOrId, CancellationToken ct);

    /// <summary>`docker exec` (no tty): the program's exit code and output.</summary>
    Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> argv, CancellationToken ct);

    /// <summary>`docker run` without --rm, waited for, output read, then removed (also when it failed or
    /// <paramref name="ct"/> fired, so nothing is left behind).</summary>
    Task<ProcessResult> RunOnceAsync(OneShotContainer spec, CancellationToken ct);
}

public sealed record DockerEngineVersion(string Version, string ApiVersion, string? Os = null);

public sealed record DockerContainerSummary(string Id, IReadOnlyList<string> Names, string Image, string State, IReadOnlyDictionary<string, string> Labels);

/// <param name="Binds">"/host:/container[:ro]" as `docker run -v` writes them.</param>
public sealed record DockerContainerDetails(
    string Id, string Name, string Image, string ImageId, IReadOnlyList<string> Command, IReadOnlyList<string> Environment,
    IReadOnlyList<PathBind> Mounts, bool Running, string Status, int? Pid, string? NetworkMode, string? RestartPolicy,
    IReadOnlyDictionary<string, string> Labels);

public sealed record PathBind(string Source, string Destination, bool ReadWrite);

/// <summary>A one-shot container: the image's program run once with binds, no network.</summary>
public sealed record OneShotContainer(string Name, string Image, IReadOnlyList<string> Command, IReadOnlyList<string> Binds,
    IReadOnlyList<string> Environment, IReadOnlyDictionary<string, string> Labels, TimeSpan Timeout);
