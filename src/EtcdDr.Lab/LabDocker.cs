using System.Diagnostics;
using System.Globalization;
using EtcdDr.Remote;

namespace EtcdDr.Lab;

/// <summary>
/// The kubespray-docker master's engine, from inside the master (its init): dockerd started before
/// the other units and waited for, the etcd image imported into it, and what `lab break` needs of
/// the etcd container (its process id, switching docker's own restart policy off).
/// </summary>
public static class LabDocker
{
    /// <summary>dockerd answered `docker version` within this; generous for a loaded machine.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);

    /// <summary>
    /// On a real master docker.service is up before etcd's wrapper unit (After=docker.service); the
    /// lab's service manager starts units without ordering, so boot starts dockerd first, waits until
    /// it answers, and imports the etcd image (no registry is reachable here) before the rest.
    /// </summary>
    public static async Task BootAsync(ServiceManager services, LabPaths paths, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var docker = services.Unit("docker") ?? throw new InvalidOperationException($"this master has no {KubesprayDockerLayout.DockerUnit}");
        await docker.StartAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var version = await RunAsync(["version", "--format", "{{.Server.Version}}"], environment, ct).ConfigureAwait(false);
            if (version.ExitCode == 0)
                break;
            if (clock.Elapsed > ReadyTimeout)
                throw new InvalidOperationException($"dockerd did not answer within {ReadyTimeout.TotalSeconds:0} s: {version.Stderr.Trim()}");
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
        Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} dockerd answers after {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        var image = (await File.ReadAllTextAsync(KubesprayDockerLayout.ImageReference(paths), ct).ConfigureAwait(false)).Trim();
        var present = await RunAsync(["image", "inspect", "--format", "{{.Id}}", image], environment, ct).ConfigureAwait(false);
        if (present.ExitCode != 0)
        {
            var import = await RunAsync(KubesprayDockerLayout.ImportArguments(paths, image), environment, ct).ConfigureAwait(false);
            import.EnsureSuccess("docker import of the etcd image");
        }
        Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} image {image} ready after {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
    }

    /// <summary>The host pid of the container's etcd, or null when the container does not run.</summary>
    public static async Task<int?> EtcdPidAsync(string container, IReadOnlyDictionary<string, string> environment, CancellationToken ct)
    {
        var inspect = await RunAsync(["inspect", "--format", "{{.State.Running}} {{.State.Pid}}", container], environment, ct).ConfigureAwait(false);
        var words = inspect.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return inspect.ExitCode == 0 && words is ["true", var pid] && int.TryParse(pid, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : null;
    }

    /// <summary>`docker update --restart=no`: docker's own on-failure policy would otherwise bring a killed etcd back.</summary>
    public static Task<ProcessResult> DisableRestartPolicyAsync(string container, IReadOnlyDictionary<string, string> environment, CancellationToken ct) =>
        RunAsync(["update", "--restart=no", container], environment, ct);

    public static Task<ProcessResult> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, CancellationToken ct) =>
        ProcessRunner.RunAsync(KubesprayDockerLayout.DockerCli, args,
            new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(120), Environment = environment.ToDictionary(e => e.Key, e => (string?)e.Value) }, ct);
}
