using EtcdDr.Remote;

namespace EtcdDr.Topology;

/// <summary>
/// The systemd side of discovery: the etcd unit with its drop-ins, the environment files it loads,
/// and the program its ExecStart names (an etcd binary, or Kubespray's wrapper script around
/// `docker run`, which is read and never run).
/// </summary>
public static partial class TopologyDetector
{
    /// <summary>What the etcd unit (or Kubespray's env file alone) says; Configured is false when nothing names a client URL.</summary>
    private sealed record SystemdCandidate(MasterTopology Topology, bool Configured);

    private static async Task<SystemdCandidate?> FromSystemdAsync(IRemoteHost host, HashSet<string> present, CancellationToken ct)
    {
        var kubespray = present.Contains(KubesprayEnv);
        var unitPath = UnitFiles.FirstOrDefault(present.Contains);
        var notes = new List<string>();
        async Task<SystemdCandidate> EnvFileAlone(string why)
        {
            var text = await ReadTextAsync(host, KubesprayEnv, ct).ConfigureAwait(false);
            var env = EtcdEnvFile.Parse(text);
            var alone = Build(host.Name, EtcdFlavor.Kubespray, SettingsFrom(env), PathMap.Host, ClientPair(env), null, null, [why]);
            return new SystemdCandidate(alone with { ConfigFile = KubesprayEnv, ConfigText = text }, true);
        }
        if (unitPath is null)
            return kubespray ? await EnvFileAlone($"no {UnitName} unit found beside {KubesprayEnv}").ConfigureAwait(false) : null;

        var (unit, unitTexts) = await ReadUnitAsync(host, unitPath, present, ct).ConfigureAwait(false);
        if (unit.ExecStartCount > 1)
            notes.Add($"{UnitName} has {unit.ExecStartCount} ExecStart= lines in effect (a drop-in without an empty ExecStart= first): systemd refuses to start it; using the last");
        // The service's environment: Environment= first, then the files, which override it (systemd.exec).
        var serviceEnv = new Dictionary<string, string>(unit.Environment, StringComparer.Ordinal);
        var loaded = new List<(string Path, string Text, IReadOnlyDictionary<string, string> Values)>();
        foreach (var file in unit.EnvironmentFiles)
        {
            var text = await TryReadTextAsync(host, file.Path, ct).ConfigureAwait(false);
            if (text is null)
            {
                if (!file.Optional)
                    notes.Add($"{file.Source} requires EnvironmentFile={file.Path}, which does not exist: systemd will not start etcd");
                continue;
            }
            var values = EtcdEnvFile.Parse(text);
            loaded.Add((file.Path, text, values));
            foreach (var (k, v) in values)
                serviceEnv[k] = v;
        }
        var exec = SystemdUnit.Expand(unit.ExecStart, serviceEnv);
        if (exec.Count == 0)
            notes.Add($"{UnitName} has no ExecStart");

        var docker = DockerRunCommand.Find(exec);
        string? dockerSource = docker is null ? null : unit.ExecStartSource;
        string? dockerText = null;
        var etcd = EtcdCommandLine.FindEtcd(exec);
        if (docker is null && etcd is { } found && found.Program.StartsWith('/'))
        {
            // ExecStart names a file called etcd. Kubespray's docker deployment makes that a script
            // running `docker run`: read it (never run it) when it is not a binary.
            var script = await ReadIfScriptAsync(host, found.Program, notes, ct).ConfigureAwait(false);
            if (script is not null)
            {
                foreach (var command in ShellWords.Commands(script))
                {
                    if (DockerRunCommand.Find(command) is { } run)
                    {
                        // "$@" in the script is what ExecStart passed it.
                        docker = run with { Command = [.. run.Command.SelectMany(w => w is "$@" or "$*" ? found.Arguments : [w])] };
                        (dockerSource, dockerText) = (found.Program, script);
                        notes.Add($"{found.Program} is a script that runs etcd with `{docker.Engine} run` (read, never run)");
                        break;
                    }
                    if (EtcdCommandLine.FindEtcd(command) is { } inner && inner.Program != found.Program)
                    {
                        etcd = (inner.Program, [.. inner.Arguments.SelectMany(w => w is "$@" or "$*" ? found.Arguments : [w])]);
                        notes.Add($"{found.Program} is a script that runs {inner.Program} (read, never run)");
                        break;
                    }
                }
            }
        }

        MasterTopology topology;
        if (docker is not null)
        {
            // The container sees docker's --env-file values and -e, not systemd's environment.
            var containerEnv = new Dictionary<string, string>(StringComparer.Ordinal);
            string? envSource = null, envText = null;
            foreach (var envFile in docker.EnvFiles)
            {
                var text = await TryReadTextAsync(host, envFile, ct).ConfigureAwait(false);
                if (text is null)
                {
                    notes.Add($"`{docker.Engine} run --env-file={envFile}`: the file does not exist");
                    continue;
                }
                var values = EtcdEnvFile.ParseDocker(text);
                foreach (var (k, v) in values)
                    containerEnv[k] = v;
                if (values.Keys.Any(k => EtcdCommandLine.FlagOfVariable(k) is not null))
                    (envSource, envText) = (envFile, text);
            }
            foreach (var e in docker.Environment)
            {
                if (e.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq)
                    containerEnv[e[..eq]] = e[(eq + 1)..];
                else if (serviceEnv.TryGetValue(e, out var passed))
                    containerEnv[e] = passed;
            }
            var settings = SettingsFrom(containerEnv);
            var flags = EtcdCommandLine.FindEtcd(docker.Command) is { } inContainer ? EtcdCommandLine.Flags(inContainer.Arguments) : new Dictionary<string, string>();
            MergeFlags(settings, flags, notes);
            var map = new PathMap(docker.Mounts, containerized: true);
            topology = Build(host.Name, EtcdFlavor.KubesprayDocker, settings, map, ClientPair(containerEnv), null, "container", notes);
            var (configFile, configText) = flags.Count == 0 && envSource is not null ? (envSource, envText!)
                : dockerText is not null ? (dockerSource!, dockerText) : (unit.ExecStartSource ?? unitPath, unitTexts[unit.ExecStartSource ?? unitPath]);
            topology = topology with
            {
                ConfigFile = configFile, ConfigText = configText, Image = docker.Image, EtcdVersion = VersionFromImage(docker.Image),
                ContainerName = docker.Name, EtcdUser = docker.User,
            };
        }
        else
        {
            var settings = SettingsFrom(serviceEnv);
            var flags = etcd is { } e ? EtcdCommandLine.Flags(e.Arguments) : new Dictionary<string, string>();
            MergeFlags(settings, flags, notes);
            var envFile = loaded.LastOrDefault(l => l.Values.Keys.Any(k => EtcdCommandLine.FlagOfVariable(k) is not null));
            // The env file the unit loads is the config (what a restore edits); flags on ExecStart are
            // the config only when no env file sets anything.
            var (configFile, configText) = envFile.Path is not null ? (envFile.Path, envFile.Text)
                : (unit.ExecStartSource ?? unitPath, unitTexts[unit.ExecStartSource ?? unitPath]);
            if (envFile.Path is not null && flags.Count > 0)
                notes.Add($"etcd's settings come from {envFile.Path} and from flags on ExecStart in {unit.ExecStartSource}, which win: "
                    + string.Join(", ", flags.Keys.Select(f => "--" + f)));
            // A packaged unit that configures nothing, beside Kubespray's env file it does not load
            // (Kubespray's own unit, which would, is gone): the env file is all there is to read.
            if (kubespray && loaded.All(l => l.Path != KubesprayEnv) && (etcd is null || !settings.ContainsKey("advertise-client-urls")))
                return await EnvFileAlone($"{unitPath} does not load {KubesprayEnv} and configures no member; read {KubesprayEnv} alone").ConfigureAwait(false);
            var flavor = kubespray || loaded.Any(l => l.Path == KubesprayEnv) ? EtcdFlavor.Kubespray : EtcdFlavor.Systemd;
            topology = Build(host.Name, flavor, settings, PathMap.Host, ClientPair(serviceEnv), unit.WorkingDirectory ?? "/", null, notes)
                with { ConfigFile = configFile, ConfigText = configText, EtcdUser = unit.User };
        }
        topology = topology with { UnitFile = unitPath };
        return new SystemdCandidate(topology, topology.ClientUrls.Count > 0);
    }

    /// <summary>The unit and its drop-ins in systemd's order.</summary>
    private static async Task<(SystemdUnit Unit, Dictionary<string, string> Texts)> ReadUnitAsync(IRemoteHost host, string unitPath, HashSet<string> present,
        CancellationToken ct)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal) { [unitPath] = await ReadTextAsync(host, unitPath, ct).ConfigureAwait(false) };
        var dirs = DropInDirs.Where(present.Contains).ToList();
        var dropIns = new List<(string, string)>();
        if (dirs.Count > 0)
        {
            // find prints the *.conf in each directory (read-only); -H follows a directory that is a symlink.
            var listing = await host.RunAsync(["find", "-H", .. dirs, "-maxdepth", "1", "-name", "*.conf"], RemoteRunOptions.Root, ct).ConfigureAwait(false);
            var files = listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            foreach (var file in SystemdUnit.OrderDropIns(files, DropInDirs))
            {
                texts[file] = await TryReadTextAsync(host, file, ct).ConfigureAwait(false) ?? "";
                dropIns.Add((file, texts[file]));
            }
        }
        return (SystemdUnit.Parse(unitPath, texts[unitPath], dropIns), texts);
    }

    /// <summary>
    /// The file's text when it is a script (not an ELF binary), else null. Only the first four bytes
    /// are looked at before deciding; a binary is never read whole, and nothing is executed.
    /// </summary>
    private static async Task<string?> ReadIfScriptAsync(IRemoteHost host, string path, List<string> notes, CancellationToken ct)
    {
        var head = await host.RunAsync(["head", "-c", "4", "--", path], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        if (head.ExitCode != 0 || head.Stdout.StartsWith("\u007fELF", StringComparison.Ordinal))
            return null;
        try
        {
            return await ReadTextAsync(host, path, ct).ConfigureAwait(false);
        }
        catch (DrException ex)
        {
            notes.Add($"{path} is not an ELF binary and could not be read as a script: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// The client pair a tool would use: etcdctl's own variables in the env file first (ETCDCTL_CERT,
    /// or the v2 ETCDCTL_CERT_FILE), else Kubespray's naming: member-HOST.pem -> admin-HOST.pem.
    /// </summary>
    private static (string? Cert, string? Key) ClientPair(IReadOnlyDictionary<string, string> env)
    {
        var cert = env.GetValueOrDefault("ETCDCTL_CERT") ?? env.GetValueOrDefault("ETCDCTL_CERT_FILE");
        var key = env.GetValueOrDefault("ETCDCTL_KEY") ?? env.GetValueOrDefault("ETCDCTL_KEY_FILE");
        if (cert is { Length: > 0 } && key is { Length: > 0 })
            return (cert, key);
        var memberCert = env.GetValueOrDefault("ETCD_CERT_FILE") ?? env.GetValueOrDefault("ETCD_PEER_CERT_FILE");
        if (memberCert is null)
            return (null, null);
        var dir = Path.GetDirectoryName(memberCert)!;
        var file = Path.GetFileNameWithoutExtension(memberCert);
        if (!file.StartsWith("member-", StringComparison.Ordinal))
            return (null, null);
        var inventoryHost = file["member-".Length..];
        return ($"{dir}/admin-{inventoryHost}.pem", $"{dir}/admin-{inventoryHost}-key.pem");
    }
}
