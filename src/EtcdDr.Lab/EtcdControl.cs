using System.Globalization;
using System.Security.Cryptography;

namespace EtcdDr.Lab;

/// <summary>
/// Stops, starts and breaks etcd on one master the way that master's installer runs it, from
/// inside the master (its init), so every file operation sees the master's own view:
/// Kubespray through the etcd unit, kubeadm through the manifest and the lab kubelet.
/// </summary>
/// <param name="container">kubespray-docker: the etcd container's --name; <paramref name="environment"/> is
/// what the docker CLI runs with there.</param>
public sealed class EtcdControl(LabFlavor flavor, ServiceManager services, KubeletUnit kubelet, PodRuntime runtime,
    string? container = null, IReadOnlyDictionary<string, string>? environment = null)
{
    /// <summary>Where a stopped kubeadm etcd's manifest waits: next to the manifests folder, as operators park it.</summary>
    public const string ParkedManifest = "/etc/kubernetes/etcd.yaml";
    public const string DataDirectory = "/var/lib/etcd";

    private LabUnit EtcdUnit => services.Unit("etcd") ?? throw new InvalidOperationException("this master has no etcd.service");

    public async Task<ControlReply> HandleAsync(IReadOnlyList<string> words, CancellationToken ct)
    {
        var verb = words.Count > 0 ? words[0] : "";
        var noRestart = words.Contains("--no-restart");
        switch (verb)
        {
            case "state":
                return new ControlReply(0, State() + "\n");
            case "stop":
                await StopAsync(ct).ConfigureAwait(false);
                return new ControlReply(0, "etcd stopped\n");
            case "start":
                await StartAsync(ct).ConfigureAwait(false);
                return new ControlReply(0, "etcd started\n");
            case "kill":
                return new ControlReply(0, await KillAsync(noRestart, ct).ConfigureAwait(false) + "\n");
            case "wipe":
                return new ControlReply(0, await WipeAsync(ct).ConfigureAwait(false) + "\n");
            case "corrupt":
                return new ControlReply(0, await CorruptAsync(ct).ConfigureAwait(false) + "\n");
            default:
                return new ControlReply(2, "", $"unknown etcd verb '{verb}'\n");
        }
    }

    /// <summary>"running PID" or "stopped".</summary>
    public string State()
    {
        int? pid = flavor == LabFlavor.KubesprayDocker
            ? LabDocker.EtcdPidAsync(container!, environment!, CancellationToken.None).GetAwaiter().GetResult()
            : flavor == LabFlavor.Kubespray
            ? EtcdUnit.MainPid
            : runtime.Find("etcd") is { Running: true } pod ? pod.Process!.Pid : null;
        return pid is { } p ? $"running {p.ToString(CultureInfo.InvariantCulture)}" : "stopped";
    }

    public async Task StopAsync(CancellationToken ct)
    {
        if (flavor.IsKubespray())
        {
            await EtcdUnit.StopAsync(ct).ConfigureAwait(false);
            return;
        }
        if (File.Exists(KubeadmLayout.Manifest))
            File.Move(KubeadmLayout.Manifest, ParkedManifest, overwrite: true);
        if (kubelet.State == UnitState.Active)
            await kubelet.WaitGoneAsync("etcd", PodRuntime.StopGrace + TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        // With kubelet down nobody acts on the manifest: stop the container as `crictl stop` would.
        if (runtime.Find("etcd") is { } pod)
        {
            await PodRuntime.StopAsync(pod, ct).ConfigureAwait(false);
            lock (runtime.Sync)
                runtime.Pods.Remove(pod.File);
        }
    }

    public async Task StartAsync(CancellationToken ct)
    {
        if (flavor.IsKubespray())
        {
            await EtcdUnit.StartAsync(ct).ConfigureAwait(false);
            return;
        }
        if (!File.Exists(KubeadmLayout.Manifest) && File.Exists(ParkedManifest))
            File.Move(ParkedManifest, KubeadmLayout.Manifest);
        await kubelet.StartAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// SIGKILL. Without <paramref name="noRestart"/> the master reacts as it would for real: systemd
    /// restarts etcd after RestartSec (Kubespray), the kubelet after its back-off (kubeadm). With it,
    /// Kubespray's unit ends "failed" (as after hitting its start limit) and on kubeadm the kubelet is
    /// stopped first (kubelet down, then the container dies), so etcd stays down until healed.
    /// </summary>
    public async Task<string> KillAsync(bool noRestart, CancellationToken ct)
    {
        if (flavor == LabFlavor.KubesprayDocker)
            return await KillContainerAsync(noRestart, ct).ConfigureAwait(false);
        if (flavor == LabFlavor.Kubespray)
        {
            var pid = EtcdUnit.MainPid;
            await EtcdUnit.KillAsync(LabNative.SigKill, noRestart, ct).ConfigureAwait(false);
            return pid is null ? "etcd was not running" : $"killed etcd (pid {pid}); " + (noRestart ? "etcd.service is now failed" : "systemd restarts it after RestartSec");
        }
        if (noRestart)
            await kubelet.KillAsync(LabNative.SigKill, noRestart: true, ct).ConfigureAwait(false);
        var pod = runtime.Find("etcd");
        if (pod is not { Running: true })
            return "etcd was not running";
        var killed = pod.Process!.Pid;
        pod.Process.Signal(LabNative.SigKill);
        await pod.Process.Exited.WaitAsync(TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        return $"killed etcd (pid {killed}); " + (noRestart ? "kubelet is stopped, so nothing restarts it" : "the kubelet restarts it after its back-off");
    }

    /// <summary>
    /// kubespray-docker: SIGKILL to etcd inside its container (the unit's main process is the docker
    /// CLI, which cannot pass SIGKILL on). Without --no-restart the master reacts as Kubespray's does:
    /// docker's on-failure policy and the unit's Restart=always bring etcd back. With it, docker's
    /// policy is switched off first and the unit ends "failed".
    /// </summary>
    private async Task<string> KillContainerAsync(bool noRestart, CancellationToken ct)
    {
        if (noRestart)
        {
            await EtcdUnit.KillAsync(0, noRestart: true, ct).ConfigureAwait(false);
            await LabDocker.DisableRestartPolicyAsync(container!, environment!, ct).ConfigureAwait(false);
        }
        if (await LabDocker.EtcdPidAsync(container!, environment!, ct).ConfigureAwait(false) is not { } pid)
            return "etcd was not running";
        LabNative.Kill(pid, LabNative.SigKill);
        for (var i = 0; i < 100 && Directory.Exists($"/proc/{pid}"); i++)
            await Task.Delay(100, ct).ConfigureAwait(false);
        return $"killed etcd in container {container} (pid {pid}); " + (noRestart
            ? "docker's restart policy is off and etcd.service is now failed"
            : "docker's restart policy and etcd.service's Restart=always bring it back");
    }

    /// <summary>
    /// Stops etcd and moves the member folder aside (never deletes it, DESIGN.md section 4), leaving an
    /// empty /var/lib/etcd. etcd stays stopped: on an emptied data dir it would start a stray
    /// one-member raft log and panic against its peers, which is noise rather than a useful fault.
    /// </summary>
    public async Task<string> WipeAsync(CancellationToken ct)
    {
        await StopAsync(ct).ConfigureAwait(false);
        var aside = $"/var/lib/etcd-lab-wiped-{DateTimeOffset.UtcNow:yyyyMMddTHHmmssfff}";
        Directory.CreateDirectory(aside);
        foreach (var entry in Directory.GetFileSystemEntries(DataDirectory))
            Directory.Move(entry, Path.Combine(aside, Path.GetFileName(entry)));
        return $"etcd stopped; {DataDirectory} is empty, its content is in {aside}";
    }

    /// <summary>
    /// Stops etcd, overwrites both bbolt meta pages of member/snap/db (the first 8 KiB) with random
    /// bytes, and starts etcd again, which then refuses the file and fails over and over.
    /// </summary>
    public async Task<string> CorruptAsync(CancellationToken ct)
    {
        var db = Path.Combine(DataDirectory, "member", "snap", "db");
        if (!File.Exists(db))
            throw new InvalidOperationException($"{db} does not exist; nothing to corrupt");
        await StopAsync(ct).ConfigureAwait(false);
        await using (var file = new FileStream(db, FileMode.Open, FileAccess.Write))
        {
            await file.WriteAsync(RandomNumberGenerator.GetBytes(8192), ct).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }
        await StartAsync(ct).ConfigureAwait(false);
        return $"overwrote the first 8 KiB of {db} (both bbolt meta pages) and started etcd again";
    }
}
