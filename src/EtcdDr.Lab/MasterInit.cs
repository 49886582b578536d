using EtcdDr.Remote;

namespace EtcdDr.Lab;

/// <summary>
/// The first process of a lab master, started by `lab up` as
/// `setsid --fork unshare --uts --mount --propagation private -- etcd-dr lab init ...`, so it owns a
/// private UTS and mount namespace. It joins the master's cgroup, mounts the master's view
/// (overlays on /etc, /usr/local and /var/lib whose upper dirs are in the state folder, a fresh
/// tmpfs on /run, the stand-in systemctl bound over /usr/bin/systemctl), sets the hostname, and
/// then plays systemd: sshd, the enabled units, and a control socket for systemctl and the lab.
/// Nothing is created on the host outside the state folder: every mount point already exists.
/// </summary>
public static class MasterInit
{
    public static async Task<int> RunAsync(string stateDirectory, string masterName, CancellationToken ct)
    {
        var state = LabState.Load(stateDirectory);
        var master = state.Spec.Master(masterName);
        var paths = state.Paths.Master(masterName);
        LabNative.RedirectStandardStreams(paths.InitLog);
        // Console.Out and Console.Error were opened before (Program builds the CLI with them), and
        // .NET dups fd 1 and 2 when it opens them: they still wrote to `lab up`'s pipe, long closed,
        // and init.log stayed empty. Reopen both on the log.
        Console.SetOut(new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true });
        Console.SetError(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true });
        // A dying init takes its services with it (their output pipes break): say why it died.
        AppDomain.CurrentDomain.UnhandledException += (_, e) => Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} init of {masterName} dies: {e.ExceptionObject}");
        Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} init of {masterName} ({state.Spec.Flavor}) pid {Environment.ProcessId}");
        try
        {
            return await RunMasterAsync(stateDirectory, state, master, paths, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The CLI's own error line goes to the writer it was built with, `lab up`'s closed pipe.
            Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} init of {masterName} failed: {ex.GetType().Name}: {ex.Message}");
            throw;
        }
    }

    private static async Task<int> RunMasterAsync(string stateDirectory, LabState state, LabMaster master, MasterPaths paths, CancellationToken ct)
    {
        var masterName = master.Name;

        if (state.CgroupRoot is { } cgroup)
            LabCgroup.Join(Path.Combine(cgroup, masterName));
        await MountAsync(state, paths, ct).ConfigureAwait(false);
        LabNative.SetHostName(master.Name);
        await File.WriteAllTextAsync(paths.InitPid, ProcessIdentity.Of(Environment.ProcessId)!.Serialize(), ct).ConfigureAwait(false);

        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["LANG"] = "C.UTF-8",
            ["HOME"] = "/root",
            [LabMarker.Variable] = stateDirectory,
            [LabMarker.MasterVariable] = masterName,
        };
        var runtime = new PodRuntime(paths, state.Paths.BinDirectory, environment);
        var crictl = new LabCrictl(runtime);
        var kubelet = new KubeletUnit("/etc/kubernetes/manifests", runtime);
        var services = new ServiceManager(paths, environment, kubelet);
        var etcd = new EtcdControl(state.Spec.Flavor, services, kubelet, runtime, KubesprayDockerLayout.ContainerName(master), environment);

        // Listening first: an init that cannot be reached must not start services it cannot stop.
        using var listener = ControlChannel.Listen(paths.ControlSocket);
        var server = ControlChannel.ServeAsync(listener, (words, token) => words.ToArray() switch
        {
            ["systemctl", .. var rest] => services.SystemctlAsync(rest, token),
            ["etcd", .. var rest] => etcd.HandleAsync(rest, token),
            ["crictl", .. var rest] => Task.FromResult(crictl.Handle(rest)),
            ["ping"] => Task.FromResult(new ControlReply(0, "pong\n")),
            _ => Task.FromResult(new ControlReply(2, "", $"unknown request {string.Join(' ', words)}\n")),
        }, ct);

        var sshd = SupervisedProcess.Start(LabTools.Require("sshd"), ["-D", "-e", "-f", paths.SshdConfig], environment, paths.SshdLog);
        if (state.Spec.Flavor == LabFlavor.KubesprayDocker)
            await LabDocker.BootAsync(services, state.Paths, environment, ct).ConfigureAwait(false);
        await services.StartEnabledAsync(ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(paths.Ready, "", ct).ConfigureAwait(false);
        Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} {masterName} is up: sshd pid {sshd.Pid}");

        try
        {
            await server.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} init of {masterName} stopping");
        }
        return 0;
    }

    private static async Task MountAsync(LabState state, MasterPaths paths, CancellationToken ct)
    {
        var mount = LabTools.Require("mount");
        // The etcd image's programs, bound from the host before anything may hide them (STATE/bin).
        if (state.Spec.Flavor == LabFlavor.Kubeadm)
        {
            foreach (var tool in PodRuntime.EtcdTools)
            {
                var bound = Path.Combine(state.Paths.BinDirectory, tool);
                if (File.Exists(bound) && LabTools.Find(tool) is { } host)
                    await RunAsync(mount, ["--bind", host, bound], ct).ConfigureAwait(false);
            }
        }
        if (state.Spec.NoHostEtcdctl)
        {
            var (target, name) = MasterPaths.UsrBin;
            await RunAsync(mount, ["-t", "overlay", "overlay", "-o", $"lowerdir={target},upperdir={paths.Upper(name)},workdir={paths.Work(name)}", target], ct).ConfigureAwait(false);
        }
        foreach (var (target, name) in MasterPaths.Overlays)
            await RunAsync(mount, ["-t", "overlay", "overlay", "-o", $"lowerdir={target},upperdir={paths.Upper(name)},workdir={paths.Work(name)}", target], ct).ConfigureAwait(false);
        // A machine of its own has its own /run (and sshd wants /run/sshd, which the host may lack).
        await RunAsync(mount, ["-t", "tmpfs", "-o", "mode=0755,size=64m", "tmpfs", "/run"], ct).ConfigureAwait(false);
        Directory.CreateDirectory("/run/sshd");
        File.SetUnixFileMode("/run/sshd", LabFiles.PrivateDirectory | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        // Scripts that call /usr/bin/systemctl by full path must reach the stand-in too.
        if (File.Exists("/usr/bin/systemctl"))
            await RunAsync(mount, ["--bind", MasterLayout.StandInSystemctl, "/usr/bin/systemctl"], ct).ConfigureAwait(false);
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> args, CancellationToken ct) =>
        (await ProcessRunner.RunAsync(program, args, new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false))
            .EnsureSuccess(ProcessRunner.Describe(program, args));
}
