using System.Globalization;
using EtcdDr.Remote;
using EtcdDr.Remote.Docker;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// `snapshot restore` in a one-shot container of the member's own etcd image, for a Docker master
/// with no etcd tools on the host: the data dir's parent bound read-write at the same path (the
/// tool makes the data dir itself and refuses an existing one), the snapshot's folder read-only,
/// no network. The container is removed afterwards whatever happened.
/// </summary>
public sealed class DockerRestoreExecutor(MasterShell shell, string image, string memberName) : IRestoreExecutor
{
    /// <summary>Marks our containers, so discovery never mistakes one for the member.</summary>
    public const string RoleLabel = "io.etcd-dr.role";

    public string ContainerName => "etcd-dr-restore-" + new string([.. memberName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);

    public async Task RunAsync(RestoreCommand command, SnapshotRestoreRequest request, CancellationToken ct)
    {
        var spec = Spec(command, request);
        await using var engine = await shell.Options.DockerEngine(shell.Host, DockerEngine.DefaultSocket, ct).ConfigureAwait(false);
        var result = await engine.RunOnceAsync(spec, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var said = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
            throw new DrException($"{shell.Host.Name}: {command.Program} snapshot restore in a one-shot container of {image} exited {result.ExitCode.ToString(CultureInfo.InvariantCulture)}: {said}", FailureKind.General);
        }
    }

    public IReadOnlyList<string> Describe(RestoreCommand command, SnapshotRestoreRequest request)
    {
        var spec = Spec(command, request);
        return [ShellQuote.Join(["docker", "run", "--name", spec.Name, "--network", "none",
            .. spec.Binds.SelectMany(b => new[] { "-v", b }), .. spec.Environment.SelectMany(e => new[] { "-e", e }),
            "--entrypoint", spec.Command[0], spec.Image, .. spec.Command.Skip(1)]) + "   (through the engine API; the container is removed afterwards)"];
    }

    public OneShotContainer Spec(RestoreCommand command, SnapshotRestoreRequest request)
    {
        var parent = Path.GetDirectoryName(request.DataDir.TrimEnd('/')) ?? "/";
        var snapshotDir = Path.GetDirectoryName(request.SnapshotPath) ?? "/";
        var binds = new List<string> { $"{parent}:{parent}:rw" };
        if (!(snapshotDir == parent || snapshotDir.StartsWith(parent + "/", StringComparison.Ordinal)))
            binds.Add($"{snapshotDir}:{snapshotDir}:ro");
        return new OneShotContainer(ContainerName, image, [command.Program, .. command.Arguments], binds,
            [.. command.Environment.Select(e => $"{e.Key}={e.Value}")],
            new Dictionary<string, string>(StringComparer.Ordinal) { [RoleLabel] = "snapshot-restore", ["io.etcd-dr.member"] = memberName },
            shell.Options.RestoreTimeout);
    }
}
