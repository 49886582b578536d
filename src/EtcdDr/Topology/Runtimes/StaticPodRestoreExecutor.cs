using System.Text;
using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Runs etcdctl/etcdutl from the etcd image on a kubeadm master that has no such binary on the host
/// (the usual case): a one-shot static pod, as OpenShift's restore pod does. kubelet runs it with
/// restartPolicy Never, on the host network, with the snapshot's folder and the data dir's parent
/// mounted at their host paths, so the command line names host paths. We wait on crictl for the
/// container to exit, fail with its logs when it exits non-zero, and always take the manifest out.
/// </summary>
public sealed class StaticPodRestoreExecutor(MasterShell shell, MasterTopology topology, string image) : IRestoreExecutor
{
    public const string ContainerName = "etcd-dr-restore";

    private readonly Crictl _crictl = new(shell, Crictl.PathFor(topology));

    public string ManifestFile => $"{ContainerName}-{Sanitize(topology.MemberName)}.yaml";
    public string ManifestPath => StaticPodParking.Live(ManifestFile);

    public async Task RunAsync(RestoreCommand command, SnapshotRestoreRequest request, CancellationToken ct)
    {
        // A manifest left by an interrupted run: take it out and let its container finish first,
        // so two restores never write into one data dir.
        if (await shell.TestAsync("-e", ManifestPath, ct).ConfigureAwait(false))
        {
            await shell.MustAsync(["rm", "-f", "--", ManifestPath], ct).ConfigureAwait(false);
            await shell.WaitUntilAsync($"the interrupted restore pod's container stopping", shell.Options.StopTimeout, async token =>
                await _crictl.RunningAsync($"^{ContainerName}$", token).ConfigureAwait(false) is { Count: > 0 } ids ? $"{string.Join(", ", ids)} still running" : null, ct).ConfigureAwait(false);
        }
        var before = (await _crictl.AllAsync($"^{ContainerName}$", ct).ConfigureAwait(false)).Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        // Only a running kubelet runs the pod; with the control plane parked it runs nothing else.
        var startedKubelet = false;
        if (topology.HasKubelet && await shell.UnitStateAsync("kubelet", ct).ConfigureAwait(false) != "active")
        {
            await shell.MustAsync(["systemctl", "start", "kubelet"], ct).ConfigureAwait(false);
            startedKubelet = true;
        }
        await shell.MustAsync(["mkdir", "-p", "-m", "0700", StaticPodParking.ParkingDirectory], ct).ConfigureAwait(false);
        // Written outside the manifests folder and renamed in, so kubelet never reads half a file.
        await shell.WriteAtomicallyAsync(ManifestPath, Manifest(command, request), StaticPodParking.ParkingDirectory, "600", "root:root", ct).ConfigureAwait(false);
        try
        {
            string? id = null;
            var exit = 0;
            await shell.WaitUntilAsync($"the restore pod {ManifestFile} finishing", shell.Options.RestoreTimeout, async token =>
            {
                id ??= (await _crictl.AllAsync($"^{ContainerName}$", token).ConfigureAwait(false)).Select(c => c.Id).FirstOrDefault(c => !before.Contains(c));
                if (id is null)
                    return "kubelet has not created its container yet";
                var (state, code) = await _crictl.InspectAsync(id, token).ConfigureAwait(false);
                exit = code;
                return state == "CONTAINER_EXITED" ? null : $"container {id} is {state}";
            }, ct).ConfigureAwait(false);
            if (exit != 0)
            {
                var logs = await _crictl.LogsAsync(id!, ct).ConfigureAwait(false);
                var last = logs.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3);
                throw new DrException($"{shell.Host.Name}: `{command.Program} snapshot restore` in the etcd image exited {exit}: {string.Join(" | ", last)} (`{_crictl.Path} logs {id}` has it all)", FailureKind.General);
            }
        }
        finally
        {
            await shell.RunAsync(["rm", "-f", "--", ManifestPath], CancellationToken.None, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            if (startedKubelet)
                await shell.RunAsync(["systemctl", "stop", "kubelet"], CancellationToken.None, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        }
    }

    public IReadOnlyList<string> Describe(RestoreCommand command, SnapshotRestoreRequest request) =>
    [
        $"write {ManifestPath}: a one-shot static pod (restartPolicy Never, hostNetwork, image {image}) running `{ShellQuote.Join([.. command.Environment.Select(e => $"{e.Key}={e.Value}"), command.Program, .. command.Arguments])}`",
        "systemctl start kubelet when it is stopped (and stop it again afterwards)",
        $"wait until `{_crictl.Path} ps -a --name '^{ContainerName}$' -o json` shows its container and `{_crictl.Path} inspect ID` says CONTAINER_EXITED with exit code 0 (else fail with `{_crictl.Path} logs ID`)",
        $"rm -f -- {ManifestPath}",
    ];

    /// <summary>The pod. Every string is single-quoted YAML, so no path or URL can break the structure.</summary>
    public string Manifest(RestoreCommand command, SnapshotRestoreRequest request)
    {
        var snapshotDir = Path.GetDirectoryName(request.SnapshotPath) ?? "/";
        var dataParent = Path.GetDirectoryName(request.DataDir.TrimEnd('/')) ?? "/";
        var yaml = new StringBuilder();
        yaml.Append("# etcd-dr: one-shot `snapshot restore` for member ").Append(topology.MemberName).Append("; removed when it has run\n");
        yaml.Append("apiVersion: v1\nkind: Pod\nmetadata:\n");
        yaml.Append("  name: ").Append(Q(ContainerName + "-" + Sanitize(topology.MemberName))).Append('\n');
        yaml.Append("  namespace: kube-system\n  labels:\n    app.kubernetes.io/managed-by: etcd-dr\n");
        yaml.Append("spec:\n  restartPolicy: Never\n  hostNetwork: true\n  priorityClassName: system-node-critical\n  containers:\n");
        yaml.Append("  - name: ").Append(ContainerName).Append('\n');
        yaml.Append("    image: ").Append(Q(image)).Append('\n');
        yaml.Append("    imagePullPolicy: IfNotPresent\n");
        yaml.Append("    command:\n");
        foreach (var word in new[] { command.Program }.Concat(command.Arguments))
            yaml.Append("    - ").Append(Q(word)).Append('\n');
        if (command.Environment.Count > 0)
        {
            yaml.Append("    env:\n");
            foreach (var (name, value) in command.Environment)
                yaml.Append("    - name: ").Append(Q(name)).Append("\n      value: ").Append(Q(value)).Append('\n');
        }
        // One volume when the snapshot sits in the data dir's parent: a pod may not mount a path twice.
        var snapshotVolume = snapshotDir != dataParent;
        yaml.Append("    volumeMounts:\n");
        if (snapshotVolume)
            yaml.Append("    - name: snapshot\n      mountPath: ").Append(Q(snapshotDir)).Append("\n      readOnly: true\n");
        yaml.Append("    - name: data-parent\n      mountPath: ").Append(Q(dataParent)).Append('\n');
        yaml.Append("  volumes:\n");
        if (snapshotVolume)
            yaml.Append("  - name: snapshot\n    hostPath:\n      path: ").Append(Q(snapshotDir)).Append("\n      type: Directory\n");
        yaml.Append("  - name: data-parent\n    hostPath:\n      path: ").Append(Q(dataParent)).Append("\n      type: DirectoryOrCreate\n");
        return yaml.ToString();
    }

    private static string Q(string s) => "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Sanitize(string name)
    {
        var s = new string(name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        return s.Length == 0 ? "member" : s;
    }
}
