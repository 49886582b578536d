using System.Diagnostics;
using System.Net.Sockets;
using EtcdDr.Etcd;
using EtcdDr.Remote;

namespace EtcdDr.Lab;

/// <summary>The lab verbs: up, down, status, break, heal. The CLI only parses and renders around these.</summary>
public static class LabController
{
    public static void RequireRoot()
    {
        if (!LabNative.IsRoot)
            throw new DrException("etcd-dr lab needs root (namespaces, sshd, iptables); run it with sudo", FailureKind.Refused);
    }

    // ---------------- up ----------------

    public static async Task<LabState> UpAsync(LabSpec spec, TimeSpan timeout, TextWriter progress, CancellationToken ct)
    {
        RequireRoot();
        var problems = spec.Problems().ToList();
        if (spec.StateDirectory.IndexOfAny([',', ':', ' ']) >= 0)
            problems.Add("--state may not contain ',', ':' or spaces (they would break the overlay mount options)");
        if (problems.Count > 0)
            throw new DrException(string.Join("; ", problems), FailureKind.Usage);
        foreach (var tool in new[] { "etcd", "etcdctl", "sshd", "ssh-keygen", "unshare", "setsid", "mount" })
            LabTools.Require(tool);

        spec = spec with { StateDirectory = Path.GetFullPath(spec.StateDirectory) };
        if (spec.Flavor == LabFlavor.KubesprayDocker)
        {
            // No etcdctl on the masters: Kubespray's docker deployment reaches it through the engine.
            spec = spec with { NoHostEtcdctl = true };
            foreach (var tool in new[] { "dockerd", "docker", "ldd" })
                LabTools.Require(tool);
        }
        if (LabState.TryLoad(spec.StateDirectory) is { } existing && AnyInitAlive(existing))
            throw new DrException($"a lab is already up in {spec.StateDirectory}; run `etcd-dr lab down --state {spec.StateDirectory}` first", FailureKind.Refused);
        // Leftovers of a crashed lab in the same folder: clean them as `lab down` would.
        if (Directory.Exists(spec.StateDirectory))
            await DownAsync(spec.StateDirectory, TextWriter.Null, ct).ConfigureAwait(false);
        EnsurePortsFree(spec);

        Directory.CreateDirectory(spec.StateDirectory, LabFiles.PrivateDirectory);
        var cgroup = LabCgroup.For(spec.StateDirectory);
        var state = new LabState(spec, cgroup?.LabFolder, DateTimeOffset.UtcNow);
        state.Save();
        var paths = state.Paths;
        try
        {
            var clock = Stopwatch.StartNew();
            await WriteFilesAsync(spec, paths, cgroup, ct).ConfigureAwait(false);
            await progress.WriteLineAsync($"lab: files, certificates and keys for {spec.MasterCount} {spec.Flavor} masters written in {clock.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);
            cgroup?.Create(spec.Masters.Select(m => m.Name));

            foreach (var master in spec.Masters)
                await LaunchInitAsync(spec, master, ct).ConfigureAwait(false);
            foreach (var master in spec.Masters)
                await WaitReadyAsync(paths.Master(master.Name), spec, master, timeout, ct).ConfigureAwait(false);
            await progress.WriteLineAsync($"lab: masters up (namespaces, sshd) after {clock.Elapsed.TotalSeconds:0.0} s; waiting for etcd").ConfigureAwait(false);
            await WaitEtcdHealthyAsync(state, timeout, ct).ConfigureAwait(false);
            await progress.WriteLineAsync($"lab: etcd healthy on all {spec.MasterCount} members after {clock.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);

            await File.WriteAllTextAsync(paths.Inventory, InventoryFile.Serialize(InventoryFor(state)), ct).ConfigureAwait(false);
            return state;
        }
        catch (Exception) when (Environment.GetEnvironmentVariable("ETCD_DR_LAB_KEEP_FAILED") != "1")
        {
            // Leave nothing running behind a failed `up`; the error carries the logs we need.
            await DownAsync(spec.StateDirectory, TextWriter.Null, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    public static Inventory InventoryFor(LabState state)
    {
        var paths = state.Paths;
        return new Inventory(
            "lab",
            new SshSettings(User: "root", Port: state.Spec.SshPort, IdentityFile: paths.ClientKey, KnownHostsFile: paths.KnownHosts, Sudo: "never"),
            [.. state.Spec.Masters.Select(m => new MasterHost(m.Name, m.Address.ToString()))]);
    }

    /// <summary>What to paste to use the lab with the rest of etcd-dr.</summary>
    public static string UsageText(LabState state)
    {
        var p = state.Paths;
        var endpoints = string.Join(',', state.Spec.Masters.Select(m => m.ClientUrl));
        var first = state.Spec.Masters[0];
        return $"""
            lab is up: {state.Spec.MasterCount} {state.Spec.Flavor.Name()} masters, state in {p.Root}
              inventory:  {p.Inventory}
              etcd:       etcd-dr status --endpoints {endpoints} --cacert {p.ClientCa} --cert {p.ClientCert} --key {p.ClientCertKey}
              ssh:        ssh -i {p.ClientKey} -o UserKnownHostsFile={p.KnownHosts} -o StrictHostKeyChecking=yes -p {state.Spec.SshPort} root@{first.Address}
              faults:     etcd-dr lab break kill-etcd|stop-etcd|wipe-data|corrupt-data|lose-quorum|cut-off|lose-host --host {first.Name} --state {p.Root}
              replace:    etcd-dr lab replace --host {first.Name} --state {p.Root}   (after lose-host: a fresh master on a new address)
              clean up:   etcd-dr lab down --state {p.Root}
            """;
    }

    private static async Task WriteFilesAsync(LabSpec spec, LabPaths paths, LabCgroup? cgroup, CancellationToken ct)
    {
        await LabSsh.CreateClientKeyAsync(paths, ct).ConfigureAwait(false);
        using var pki = LabPki.Create(spec.Flavor);
        pki.Etcd.Certificate.WriteFiles(paths.ClientCa, Path.Combine(paths.ClientDirectory, "ca.key"));
        File.Delete(Path.Combine(paths.ClientDirectory, "ca.key")); // the host side needs the CA certificate only
        pki.Etcd.IssueClient("etcd-dr-lab").WriteFiles(paths.ClientCert, paths.ClientCertKey);
        var kubesprayCerts = spec.Flavor.IsKubespray() ? KubesprayLayout.IssueCertificates(spec, pki) : null;
        if (spec.Flavor == LabFlavor.KubesprayDocker)
            await KubesprayDockerLayout.WriteImageTarballAsync(paths, ct).ConfigureAwait(false);
        if (spec.Flavor == LabFlavor.Kubeadm)
            WriteBinMountPoints(paths);
        var knownHosts = new List<string>();
        foreach (var master in spec.Masters)
        {
            var mp = paths.Master(master.Name);
            MasterLayout.Write(spec, master, mp);
            if (spec.Flavor == LabFlavor.Kubeadm)
                KubeadmLayout.Write(spec, master, mp, pki);
            else
                KubesprayLayout.Write(spec, master, mp, pki, kubesprayCerts!);
            if (spec.Flavor == LabFlavor.KubesprayDocker)
                KubesprayDockerLayout.WriteConfig(spec, master, mp, cgroup?.RelativePath(master.Name));
            var hostKey = await LabSsh.CreateHostKeyAsync(master, mp, ct).ConfigureAwait(false);
            LabSsh.WriteSshdConfig(spec, master, paths, mp);
            knownHosts.Add(LabSsh.KnownHostsLine(master, spec.SshPort, hostKey));
        }
        await File.WriteAllLinesAsync(paths.KnownHosts, knownHosts, ct).ConfigureAwait(false);
    }

    /// <summary>STATE/bin/etcd, etcdctl, etcdutl: empty files each init binds the host's binary onto.</summary>
    private static void WriteBinMountPoints(LabPaths paths)
    {
        Directory.CreateDirectory(paths.BinDirectory);
        foreach (var tool in PodRuntime.EtcdTools.Where(t => LabTools.Find(t) is not null))
            LabFiles.Write(Path.Combine(paths.BinDirectory, tool), "", LabFiles.Executable);
    }

    private static async Task LaunchInitAsync(LabSpec spec, LabMaster master, CancellationToken ct)
    {
        // setsid --fork: the init gets a session of its own and outlives `lab up`; unshare without
        // --fork execs the init in the new namespaces, so init.pid is the namespace's first process.
        var info = new ProcessStartInfo(LabTools.Require("setsid"))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in (string[])["--fork", LabTools.Require("unshare"), "--uts", "--mount", "--propagation", "private", "--",
                     .. SelfInvocation.Argv(), "lab", "init", "--state", spec.StateDirectory, "--master", master.Name])
            info.ArgumentList.Add(a);
        info.Environment[LabMarker.Variable] = spec.StateDirectory;
        info.Environment[LabMarker.MasterVariable] = master.Name;
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("ETCDCTL_", StringComparison.Ordinal) || k.StartsWith("ETCD_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        using var launcher = Process.Start(info) ?? throw new DrException("could not start setsid");
        launcher.StandardInput.Close();
        await launcher.WaitForExitAsync(ct).ConfigureAwait(false);
        if (launcher.ExitCode != 0)
            throw new DrException($"starting {master.Name} failed: setsid exited with {launcher.ExitCode}: {await launcher.StandardError.ReadToEndAsync(ct).ConfigureAwait(false)}");
    }

    private static async Task WaitReadyAsync(MasterPaths paths, LabSpec spec, LabMaster master, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(paths.Ready) && await TcpOpenAsync(master, spec.SshPort, ct).ConfigureAwait(false)))
        {
            if (clock.Elapsed > timeout)
                throw new DrException($"{master.Name} did not come up within {timeout.TotalSeconds:0} s.\n--- {paths.InitLog} ---\n{LabFiles.Tail(paths.InitLog)}\n--- {paths.SshdLog} ---\n{LabFiles.Tail(paths.SshdLog)}");
            if (clock.Elapsed > TimeSpan.FromSeconds(3) && ProcessIdentity.Read(paths.InitPid) is { IsAlive: false })
                throw new DrException($"the init of {master.Name} died.\n--- {paths.InitLog} ---\n{LabFiles.Tail(paths.InitLog)}");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static async Task WaitEtcdHealthyAsync(LabState state, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        using var client = ClientFor(state);
        string last = "";
        while (clock.Elapsed < timeout)
        {
            try
            {
                var statuses = await client.StatusAllAsync(ct).ConfigureAwait(false);
                if (statuses.All(s => s.Healthy && s.Status!.Leader != 0))
                {
                    // A quorum read proves the cluster serves, not only that each member answers.
                    await client.GetAsync("health", ct).ConfigureAwait(false);
                    return;
                }
                last = string.Join("; ", statuses.Select(s => $"{s.Endpoint}: {(s.Error?.Message ?? (s.Status!.Leader == 0 ? "no leader" : "ok"))}"));
            }
            catch (DrException ex)
            {
                last = ex.Message;
            }
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
        // Whether each master's init still runs tells a dead master from an etcd that hangs.
        var logs = string.Join("\n", state.Spec.Masters.Select(m =>
        {
            var mp = state.Paths.Master(m.Name);
            var init = ProcessIdentity.Read(mp.InitPid) is { IsAlive: true } ? "running" : "GONE";
            return $"--- {m.Name}: init {init}; {mp.InitLog} ---\n{LabFiles.Tail(mp.InitLog, 5)}\n--- {mp.EtcdLog} ---\n{LabFiles.Tail(mp.EtcdLog, 15)}";
        }));
        throw new DrException($"etcd did not become healthy within {timeout.TotalSeconds:0} s; last: {last}\n{logs}", FailureKind.Unreachable);
    }

    public static EtcdClient ClientFor(LabState state, TimeSpan? dialTimeout = null) => new(new EtcdConnectionOptions(
        [.. state.Spec.Masters.Select(m => new Uri(m.ClientUrl))],
        EtcdTls.FromFiles(state.Paths.ClientCa, state.Paths.ClientCert, state.Paths.ClientCertKey),
        DialTimeout: dialTimeout ?? TimeSpan.FromSeconds(2),
        CallTimeout: TimeSpan.FromSeconds(3)));

    private static void EnsurePortsFree(LabSpec spec, IEnumerable<LabMaster>? masters = null)
    {
        if (TakenPorts(spec, masters ?? spec.Masters).FirstOrDefault() is { } taken)
            throw new DrException($"{taken}; another lab or program uses --net {spec.Net}. Pick another --net or stop it", FailureKind.Refused);
    }

    private static IEnumerable<string> TakenPorts(LabSpec spec, IEnumerable<LabMaster> masters)
    {
        foreach (var m in masters)
        {
            foreach (var port in new[] { spec.SshPort, LabSpec.EtcdClientPort, LabSpec.EtcdPeerPort, LabSpec.EtcdMetricsPort, ControlPlaneManifests.SecurePort })
            {
                string? taken = null;
                try
                {
                    using var probe = new TcpListener(m.Address, port);
                    probe.Start();
                }
                catch (SocketException ex)
                {
                    taken = $"{m.Address}:{port} is taken ({ex.SocketErrorCode})";
                }
                if (taken is not null)
                    yield return taken;
            }
        }
    }

    private static async Task<bool> TcpOpenAsync(LabMaster master, int port, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await tcp.ConnectAsync(master.Address, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static bool AnyInitAlive(LabState state) =>
        state.Spec.Masters.Any(m => ProcessIdentity.Read(state.Paths.Master(m.Name).InitPid) is { IsAlive: true });

    // ---------------- down ----------------

    /// <summary>
    /// Kills every process of the lab (its cgroups, then anything carrying the lab's exact
    /// environment markers or recorded as its init; never the caller or its ancestors), removes the iptables chains and the cgroup folders, and
    /// deletes the state folder. Works without lab.json and when run twice. The masters' mounts live
    /// only in their namespaces, which the kernel tears down with their last process.
    /// </summary>
    public static async Task DownAsync(string stateDirectory, TextWriter progress, CancellationToken ct)
    {
        RequireRoot();
        stateDirectory = Path.GetFullPath(stateDirectory);
        if (Path.GetFullPath(stateDirectory) == "/")
            throw new DrException("refusing to remove /", FailureKind.Refused);
        var state = LabState.TryLoad(stateDirectory);
        var cgroup = LabCgroup.For(stateDirectory);
        var killed = 0;
        var spared = LabProcessTable.SelfAndAncestors();
        if (cgroup is not null && Directory.Exists(cgroup.LabFolder))
        {
            foreach (var folder in Directory.GetDirectories(cgroup.LabFolder))
                killed += await cgroup.KillAndRemoveAsync(Path.GetFileName(folder), spared, ct).ConfigureAwait(false);
        }
        for (var round = 0; round < 50; round++)
        {
            var stragglers = LabProcessTable.FindLabProcesses(stateDirectory);
            if (stragglers.Count == 0)
                break;
            killed += stragglers.Count;
            foreach (var pid in stragglers)
                LabNative.Kill(pid, LabNative.SigKill);
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        cgroup?.RemoveLabFolder();
        await new LabFirewall(stateDirectory).RemoveAllAsync(ct).ConfigureAwait(false);
        await DeleteTreeAsync(stateDirectory, ct).ConfigureAwait(false);
        await progress.WriteLineAsync($"lab down: {(state is null ? "no lab.json, cleaned by name" : $"{state.Spec.MasterCount} masters")}; {killed} processes killed; {stateDirectory} removed").ConfigureAwait(false);
    }

    /// <summary>
    /// What is left of a lab after `lab down`: processes carrying its markers, its cgroup folder,
    /// and every master port (ssh, etcd client, peer and metrics, API server) something still
    /// listens on. Empty when the net can take the next lab.
    /// </summary>
    public static IReadOnlyList<string> Leftovers(LabSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var left = new List<string>();
        var processes = LabProcessTable.FindLabProcesses(spec.StateDirectory);
        if (processes.Count > 0)
            left.Add($"processes {string.Join(", ", processes.Select(p => $"{p} ({LabProcessTable.CommandLine(p)})"))}");
        if (LabCgroup.For(spec.StateDirectory) is { } cgroup && Directory.Exists(cgroup.LabFolder))
            left.Add($"cgroup {cgroup.LabFolder}");
        left.AddRange(TakenPorts(spec, spec.Masters));
        return left;
    }

    /// <summary>Waits until <see cref="Leftovers"/> is empty; fails naming what is left.</summary>
    public static async Task WaitGoneAsync(LabSpec spec, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var clock = Stopwatch.StartNew();
        while (Leftovers(spec) is { Count: > 0 } left)
        {
            if (clock.Elapsed > timeout)
                throw new DrException($"the lab in {spec.StateDirectory} is not gone {timeout.TotalSeconds:0} s after `lab down`: {string.Join("; ", left)}", FailureKind.General);
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    private static async Task DeleteTreeAsync(string directory, CancellationToken ct)
    {
        for (var attempt = 0; Directory.Exists(directory); attempt++)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException) when (attempt < 50)
            {
                // A dying process may still hold a file, or a namespace still holds the overlay.
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
    }

    // ---------------- status ----------------

    public static async Task<LabStatusReport> StatusAsync(string stateDirectory, CancellationToken ct)
    {
        RequireRoot(); // the control sockets are root's, and so is reading iptables
        var state = LabState.Load(Path.GetFullPath(stateDirectory));
        var firewall = new LabFirewall(state.Spec.StateDirectory);
        using var client = ClientFor(state, TimeSpan.FromSeconds(1));
        var statuses = await client.StatusAllAsync(ct).ConfigureAwait(false);
        var rows = new List<LabMasterStatus>();
        foreach (var (master, status) in state.Spec.Masters.Zip(statuses))
        {
            var paths = state.Paths.Master(master.Name);
            var init = ProcessIdentity.Read(paths.InitPid) is { IsAlive: true };
            var etcd = "unknown (master gone)";
            if (init)
            {
                try
                {
                    etcd = (await ControlChannel.SendAsync(paths.ControlSocket, ["etcd", "state"], TimeSpan.FromSeconds(5), ct).ConfigureAwait(false)).Stdout.Trim();
                }
                catch (DrException ex)
                {
                    etcd = ex.Message;
                }
            }
            var health = status.Error is { } e ? e.Message : status.Status!.Errors.Count > 0 ? string.Join("; ", status.Status.Errors) : status.IsLeader ? "leader" : "healthy";
            rows.Add(new LabMasterStatus(master.Name, master.Address.ToString(), init, await TcpOpenAsync(master, state.Spec.SshPort, ct).ConfigureAwait(false), etcd,
                await firewall.IsCutOffAsync(master, ct).ConfigureAwait(false),
                status.Status is { } s ? EtcdIds.Format(s.Header.MemberId) : null, status.IsLeader, health));
        }
        return new LabStatusReport(state.Spec.StateDirectory, state.Spec.Flavor.Name(), state.Paths.Inventory, rows,
            state.Spec.NoHostEtcdctl, state.Spec.Replaced ?? new Dictionary<string, string>());
    }

    // ---------------- break / heal ----------------

    public static async Task<string> BreakAsync(string stateDirectory, LabBreakKind kind, string? host, bool noRestart, CancellationToken ct)
    {
        RequireRoot();
        var state = LabState.Load(Path.GetFullPath(stateDirectory));
        var spec = state.Spec;
        if (kind == LabBreakKind.LoseQuorum)
        {
            // A majority, starting with --host when given.
            var victims = spec.Masters.OrderBy(m => m.Name == host ? 0 : 1).ThenBy(m => m.Name, StringComparer.Ordinal).Take(spec.MasterCount / 2 + 1).ToList();
            var lines = new List<string>();
            foreach (var v in victims)
                lines.Add($"{v.Name}: " + await EtcdVerbAsync(state, v, ["kill", "--no-restart"], ct).ConfigureAwait(false));
            return $"quorum lost: etcd killed on {victims.Count} of {spec.MasterCount} masters and kept down\n" + string.Join('\n', lines);
        }
        var master = spec.Master(host ?? throw new DrException($"--host is required for this fault", FailureKind.Usage));
        switch (kind)
        {
            case LabBreakKind.KillEtcd:
                return await EtcdVerbAsync(state, master, noRestart ? ["kill", "--no-restart"] : ["kill"], ct).ConfigureAwait(false);
            case LabBreakKind.StopEtcd:
                return await EtcdVerbAsync(state, master, ["stop"], ct).ConfigureAwait(false);
            case LabBreakKind.WipeData:
                return await EtcdVerbAsync(state, master, ["wipe"], ct).ConfigureAwait(false);
            case LabBreakKind.CorruptData:
                return await EtcdVerbAsync(state, master, ["corrupt"], ct).ConfigureAwait(false);
            case LabBreakKind.CutOff:
                var cgroup = LabCgroup.For(spec.StateDirectory);
                if (cgroup is null || state.CgroupRoot is null)
                    throw new DrException("cut-off needs cgroup v2 (to drop the master's own packets; on loopback they leave from 127.0.0.1), and this host has no cgroup2 mount", FailureKind.Refused);
                if (LabTools.Find("iptables") is null)
                    throw new DrException("cut-off needs iptables: apt-get install iptables", FailureKind.Usage);
                await new LabFirewall(spec.StateDirectory).CutOffAsync(master, cgroup, ct).ConfigureAwait(false);
                return $"{master.Name} ({master.Address}) is cut off: nothing reaches it and nothing it sends leaves; `etcd-dr lab heal --host {master.Name}` reconnects it";
            case LabBreakKind.LoseHost:
                var mc = LabCgroup.For(spec.StateDirectory);
                if (mc is not null)
                    await mc.KillAndRemoveAsync(master.Name, LabProcessTable.SelfAndAncestors(), ct).ConfigureAwait(false);
                var paths = state.Paths.Master(master.Name);
                foreach (var pid in LabProcessTable.FindLabProcesses(spec.StateDirectory, master.Name))
                    LabNative.Kill(pid, LabNative.SigKill);
                await new LabFirewall(spec.StateDirectory).HealAsync(master, mc, ct).ConfigureAwait(false);
                await DeleteTreeAsync(paths.Root, ct).ConfigureAwait(false);
                return $"{master.Name} is gone: its processes are killed and {paths.Root} is deleted; it stays in the inventory, as a dead VM would";
            default:
                throw new DrException($"unknown fault {kind}", FailureKind.Usage);
        }
    }

    /// <summary>Reconnects a cut-off master and starts etcd there again if it is stopped.</summary>
    public static async Task<string> HealAsync(string stateDirectory, string host, CancellationToken ct)
    {
        RequireRoot();
        var state = LabState.Load(Path.GetFullPath(stateDirectory));
        var master = state.Spec.Master(host);
        await new LabFirewall(state.Spec.StateDirectory).HealAsync(master, LabCgroup.For(state.Spec.StateDirectory), ct).ConfigureAwait(false);
        if (!Directory.Exists(state.Paths.Master(master.Name).Root))
            throw new DrException($"{master.Name} was lost (lose-host); only `lab down` and `lab up` bring it back", FailureKind.Refused);
        var started = await EtcdVerbAsync(state, master, ["start"], ct).ConfigureAwait(false);
        return $"{master.Name}: network restored; {started}";
    }

    // ---------------- replace ----------------

    /// <summary>
    /// A fresh master with a lost master's name on a new address, as a new VM would come: the
    /// flavor's config files for the new address but etcd not running (kubeadm: the manifest parked
    /// at /etc/kubernetes/etcd.yaml, kubelet running; Kubespray: etcd.service stopped and disabled),
    /// an empty /var/lib/etcd, and no PKI at all (those come from the PKI archive during a restore).
    /// lab.json, STATE/etcd-dr.yaml and known_hosts name the new address afterwards.
    /// </summary>
    public static async Task<string> ReplaceAsync(string stateDirectory, string host, string? address, TimeSpan timeout, CancellationToken ct)
    {
        RequireRoot();
        var state = LabState.Load(Path.GetFullPath(stateDirectory));
        var spec = state.Spec;
        var old = spec.Master(host);
        var paths = state.Paths.Master(old.Name);
        if (ProcessIdentity.Read(paths.InitPid) is { IsAlive: true })
            throw new DrException($"{old.Name} is running; only a lost master is replaced (`etcd-dr lab break lose-host --host {old.Name}` first)", FailureKind.Refused);
        var newAddress = ChooseReplacementAddress(spec, old, address);
        var replaced = new Dictionary<string, string>(spec.Replaced ?? new Dictionary<string, string>()) { [old.Name] = newAddress.ToString() };
        var newSpec = spec with { Replaced = replaced };
        var master = newSpec.Master(old.Name);
        EnsurePortsFree(newSpec, [master]);

        // Whatever lose-host left (nothing, normally) goes: a new VM starts from nothing.
        await DeleteTreeAsync(paths.Root, ct).ConfigureAwait(false);
        state = state with { Spec = newSpec };
        state.Save();
        MasterLayout.Write(newSpec, master, paths);
        if (newSpec.Flavor == LabFlavor.Kubeadm)
        {
            KubeadmLayout.WriteManifests(newSpec, master, paths, parkEtcd: true);
        }
        else
        {
            KubesprayLayout.WriteConfig(newSpec, master, paths);
            if (newSpec.Flavor == LabFlavor.KubesprayDocker)
                KubesprayDockerLayout.WriteConfig(newSpec, master, paths, LabCgroup.For(newSpec.StateDirectory)?.RelativePath(master.Name));
            // Disabled: no link of our own, and a whiteout over the host's (Debian's etcd-server
            // enables its etcd.service there, and the master's /etc is an overlay on the host's).
            LabNative.CreateWhiteout(paths.Inside(MasterLayout.WantsDirectory + "/etcd.service"));
        }
        var hostKey = await LabSsh.CreateHostKeyAsync(master, paths, ct).ConfigureAwait(false);
        LabSsh.WriteSshdConfig(newSpec, master, state.Paths, paths);
        var knownHosts = File.ReadAllLines(state.Paths.KnownHosts).Where(l => !l.StartsWith(KnownHostsKey(old, spec.SshPort) + " ", StringComparison.Ordinal)).ToList();
        knownHosts.Add(LabSsh.KnownHostsLine(master, spec.SshPort, hostKey));
        await File.WriteAllLinesAsync(state.Paths.KnownHosts, knownHosts, ct).ConfigureAwait(false);

        LabCgroup.For(newSpec.StateDirectory)?.Create([master.Name]);
        await LaunchInitAsync(newSpec, master, ct).ConfigureAwait(false);
        await WaitReadyAsync(paths, newSpec, master, timeout, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(state.Paths.Inventory, InventoryFile.Serialize(InventoryFor(state)), ct).ConfigureAwait(false);
        var waiting = newSpec.Flavor == LabFlavor.Kubeadm
            ? $"etcd's manifest is parked at {EtcdControl.ParkedManifest}, the kubelet runs"
            : "etcd.service is stopped and disabled";
        return $"{master.Name} replaced: a fresh master at {master.Address} (was {old.Address}); {waiting}; /var/lib/etcd is empty and there is no PKI; " +
               $"{state.Paths.Inventory} and known_hosts name the new address";
    }

    private static string KnownHostsKey(LabMaster master, int port) => port == 22 ? master.Address.ToString() : $"[{master.Address}]:{port}";

    /// <summary>
    /// --address, or the next host number after every address the lab's masters have (the lost one
    /// included: its address belongs to a dead VM). Only NET.1-9, which every member certificate covers.
    /// </summary>
    public static System.Net.IPAddress ChooseReplacementAddress(LabSpec spec, LabMaster lost, string? address)
    {
        var others = spec.Masters.Where(m => m.Name != lost.Name).Select(m => m.Address).ToList();
        if (address is null)
        {
            var highest = spec.Masters.Max(m => m.Address.GetAddressBytes()[3]);
            if (highest >= LabSpec.MaxHostNumber)
                throw new DrException($"no free address left in {spec.Net}.1-{LabSpec.MaxHostNumber} (the lab's certificates cover only those); give --address", FailureKind.Refused);
            return System.Net.IPAddress.Parse($"{spec.Net}.{highest + 1}");
        }
        var prefix = spec.Net + ".";
        if (!System.Net.IPAddress.TryParse(address, out var parsed) || !address.StartsWith(prefix, StringComparison.Ordinal)
            || !int.TryParse(address[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture, out var hostNumber) || hostNumber is < 1 or > LabSpec.MaxHostNumber)
            throw new DrException($"--address must be {prefix}1 to {prefix}{LabSpec.MaxHostNumber} (the lab's member certificates cover only those), not '{address}'", FailureKind.Usage);
        if (others.Contains(parsed))
            throw new DrException($"--address {address} belongs to another master of the lab", FailureKind.Refused);
        return parsed;
    }

    private static async Task<string> EtcdVerbAsync(LabState state, LabMaster master, IReadOnlyList<string> words, CancellationToken ct)
    {
        var paths = state.Paths.Master(master.Name);
        if (!Directory.Exists(paths.Root))
            throw new DrException($"{master.Name} was lost (lose-host); nothing to do there", FailureKind.Refused);
        var reply = await ControlChannel.SendAsync(paths.ControlSocket, ["etcd", .. words], TimeSpan.FromSeconds(60), ct).ConfigureAwait(false);
        if (reply.Exit != 0)
            throw new DrException($"{master.Name}: {reply.Stderr.Trim()}");
        return reply.Stdout.Trim();
    }
}
