
using Docker.DotNet;
using Docker.DotNet.Models;

namespace EtcdDr.Remote.Docker;

/// <summary>
/// The Docker engine API through Docker.DotNet, over a Unix socket forwarded from the master over
/// its shared SSH connection. Nothing listens on TCP. Disposing closes the client and the forward
/// (ssh -O cancel, socket file removed).
/// </summary>
public sealed class DockerEngine : IDockerEngine
{
    /// <summary>The engine's socket on a master; /var/run is /run on every current distribution.</summary>
    public const string DefaultSocket = "/var/run/docker.sock";

    private readonly DockerClient _client;
    private readonly IUnixSocketForward _forward;
    private readonly string _host;

    private DockerEngine(string host, IUnixSocketForward forward)
    {
        _host = host;
        _forward = forward;
        _client = new DockerClientConfiguration(new Uri("unix://" + forward.LocalSocket), defaultTimeout: TimeSpan.FromMinutes(5)).CreateClient();
    }

    /// <summary>Forwards the master's engine socket and connects to it; fails (unreachable) when the
    /// transport cannot forward sockets or the engine does not answer.</summary>
    public static async Task<IDockerEngine> ConnectAsync(IRemoteHost host, string remoteSocket, CancellationToken ct)
    {
        if (host is not IUnixSocketForwardingHost forwarding)
            throw new DrException($"{host.Name}: this SSH transport cannot forward the Docker engine's socket {remoteSocket}; use the OpenSSH transport", FailureKind.Usage);
        var forward = await forwarding.ForwardUnixSocketAsync(remoteSocket, ct).ConfigureAwait(false);
        var engine = new DockerEngine(host.Name, forward);
        try
        {
            await engine._client.System.PingAsync(ct).ConfigureAwait(false);
            return engine;
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or TimeoutException)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw new RemoteException(host.Name, RemoteFailure.Unreachable,
                $"the Docker engine at {remoteSocket} does not answer through the SSH forward ({ex.Message.Split('\n')[0]}); is dockerd running there, and may the SSH user open its socket?", -1, ex.Message);
        }
    }

    public async Task<DockerEngineVersion> VersionAsync(CancellationToken ct)
    {
        var v = await _client.System.GetVersionAsync(ct).ConfigureAwait(false);
        return new DockerEngineVersion(v.Version, v.APIVersion, v.Os);
    }

    public async Task<IReadOnlyList<DockerContainerSummary>> ListContainersAsync(CancellationToken ct)
    {
        var list = await _client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct).ConfigureAwait(false);
        return [.. list.Select(c => new DockerContainerSummary(c.ID, [.. (c.Names ?? []).Select(n => n.TrimStart('/'))], c.Image, c.State,
            (IReadOnlyDictionary<string, string>?)c.Labels?.ToDictionary(l => l.Key, l => l.Value) ?? new Dictionary<string, string>()))];
    }

    public async Task<DockerContainerDetails?> InspectAsync(string nameOrId, CancellationToken ct)
    {
        ContainerInspectResponse c;
        try
        {
            c = await _client.Containers.InspectContainerAsync(nameOrId, ct).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        var command = new List<string>();
        if (c.Path is { Length: > 0 })
            command.Add(c.Path);
        command.AddRange(c.Args ?? []);
        return new DockerContainerDetails(
            c.ID, c.Name.TrimStart('/'), c.Config?.Image ?? "", c.Image, command, [.. c.Config?.Env ?? []],
            [.. (c.Mounts ?? []).Select(m => new PathBind(m.Source, m.Destination, m.RW))],
            c.State?.Running == true, c.State?.Status ?? "", c.State is { Pid: > 0 } s ? (int)s.Pid : null,
            c.HostConfig?.NetworkMode, c.HostConfig?.RestartPolicy is { } r ? r.Name.ToString() : null,
            (IReadOnlyDictionary<string, string>?)c.Config?.Labels?.ToDictionary(l => l.Key, l => l.Value) ?? new Dictionary<string, string>());
    }

    public async Task<ProcessResult> ExecAsync(string container, IReadOnlyList<string> argv, CancellationToken ct)
    {
        var exec = await _client.Exec.ExecCreateContainerAsync(container, new ContainerExecCreateParameters
        {
            Cmd = [.. argv], AttachStdout = true, AttachStderr = true, Tty = false,
        }, ct).ConfigureAwait(false);
        using var stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, tty: false, ct).ConfigureAwait(false);
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(ct).ConfigureAwait(false);
        var inspect = await _client.Exec.InspectContainerExecAsync(exec.ID, ct).ConfigureAwait(false);
        return new ProcessResult((int)inspect.ExitCode, stdout, stderr);
    }

    public async Task<ProcessResult> RunOnceAsync(OneShotContainer spec, CancellationToken ct)
    {
        // A container of the same name left by an interrupted run goes first (it is ours: the name says so).
        await RemoveIfPresentAsync(spec.Name).ConfigureAwait(false);
        var created = await _client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = spec.Name,
            Image = spec.Image,
            Entrypoint = [.. spec.Command],
            Cmd = [],
            Env = [.. spec.Environment],
            Labels = spec.Labels.ToDictionary(l => l.Key, l => l.Value),
            HostConfig = new HostConfig { Binds = [.. spec.Binds], NetworkMode = "none", AutoRemove = false },
        }, ct).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(spec.Timeout);
            await _client.Containers.StartContainerAsync(created.ID, new ContainerStartParameters(), timeout.Token).ConfigureAwait(false);
            var waited = await _client.Containers.WaitContainerAsync(created.ID, timeout.Token).ConfigureAwait(false);
            using var logs = await _client.Containers.GetContainerLogsAsync(created.ID, tty: false,
                new ContainerLogsParameters { ShowStdout = true, ShowStderr = true }, timeout.Token).ConfigureAwait(false);
            var (stdout, stderr) = await logs.ReadOutputToEndAsync(timeout.Token).ConfigureAwait(false);
            return new ProcessResult((int)waited.StatusCode, stdout, stderr);
        }
        finally
        {
            await RemoveIfPresentAsync(created.ID).ConfigureAwait(false);
        }
    }

    /// <summary>Never cancelled: cleaning up after an interrupted run must still happen.</summary>
    private async Task RemoveIfPresentAsync(string nameOrId)
    {
        try
        {
            await _client.Containers.RemoveContainerAsync(nameOrId, new ContainerRemoveParameters { Force = true }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            // Nothing to remove.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _forward.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => "docker engine of " + _host;
}
