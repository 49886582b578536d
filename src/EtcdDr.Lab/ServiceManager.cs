using System.Text;

namespace EtcdDr.Lab;

/// <summary>What one control request produced: the stand-in prints it and exits with the code.</summary>
public sealed record ControlReply(int Exit, string Stdout = "", string Stderr = "");

/// <summary>
/// The master's systemd, as far as etcd-dr, the runbooks and Ansible's systemd module use it: units
/// from /etc/systemd/system/NAME.service (the "kubelet" unit is the lab kubelet) and NAME.timer (never
/// fired, see <see cref="TimerUnit"/>), "enabled" meaning a link in multi-user.target.wants
/// (timers.target.wants for timers), and systemctl's verbs with its exit codes (is-active: 0 active,
/// 3 otherwise; status: 0/3, 4 for an unknown unit; start of an unknown unit: 5; show: key=value
/// properties, LoadState=not-found for an unknown unit; cat: the unit file, 1 when there is none).
/// </summary>
public sealed class ServiceManager
{
    private readonly Dictionary<string, LabUnit> _units = [];
    private readonly MasterPaths _paths;
    private readonly IReadOnlyDictionary<string, string> _environment;

    public ServiceManager(MasterPaths paths, IReadOnlyDictionary<string, string> environment, KubeletUnit kubelet)
    {
        _paths = paths;
        _environment = environment;
        _units["kubelet"] = kubelet;
    }

    public const string UnitDirectory = "/etc/systemd/system";

    public LabUnit? Unit(string name)
    {
        name = Normalize(name);
        if (_units.TryGetValue(name, out var unit))
            return unit;
        var file = Path.Combine(UnitDirectory, FileName(name));
        if (!File.Exists(file))
            return null;
        unit = IsTimer(name) ? new TimerUnit(name) : new ProcessUnit(name, file, _paths.Log(name), _environment);
        _units[name] = unit;
        return unit;
    }

    /// <summary>At "boot": start every unit with a link in multi-user.target.wants.</summary>
    public async Task StartEnabledAsync(CancellationToken ct)
    {
        foreach (var (folder, pattern) in new[] { (MasterLayout.WantsDirectory, "*.service"), (TimersWantsDirectory, "*.timer") })
        {
            if (!Directory.Exists(folder))
                continue;
            foreach (var link in Directory.GetFileSystemEntries(folder, pattern).Order(StringComparer.Ordinal))
            {
                if (Unit(Path.GetFileName(link)) is { } unit)
                    await unit.StartAsync(ct).ConfigureAwait(false);
            }
        }
    }

    public async Task<ControlReply> SystemctlAsync(IReadOnlyList<string> args, CancellationToken ct)
    {
        var words = args.Where(a => !a.StartsWith('-')).ToList(); // --no-pager, -q, --now...
        var quiet = args.Contains("-q") || args.Contains("--quiet");
        if (words.Count == 0)
            return new ControlReply(1, "", "etcd-dr lab systemctl: which verb? start|stop|restart|is-active|is-enabled|status|show|cat|enable|disable|daemon-reload|kill\n");
        var verb = words[0];
        var names = words.Skip(1).ToList();
        if (verb is "daemon-reload" or "daemon-reexec" or "reset-failed")
            return new ControlReply(0);
        if (names.Count == 0)
            return new ControlReply(1, "", $"Too few arguments.\n");
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var exit = 0;
        foreach (var name in names)
        {
            var unit = Unit(name);
            var display = FileName(Normalize(name));
            switch (verb)
            {
                case "start" or "stop" or "restart" or "try-restart" or "reload-or-restart" when unit is null:
                    errors.Append($"Failed to {verb} {display}: Unit {display} not found.\n");
                    exit = 5;
                    break;
                case "start":
                    await TryAsync(() => unit!.StartAsync(ct), display, errors, e => exit = e).ConfigureAwait(false);
                    break;
                case "stop":
                    await unit!.StopAsync(ct).ConfigureAwait(false);
                    break;
                case "restart" or "try-restart" or "reload-or-restart":
                    await unit!.StopAsync(ct).ConfigureAwait(false);
                    await TryAsync(() => unit.StartAsync(ct), display, errors, e => exit = e).ConfigureAwait(false);
                    break;
                case "is-active":
                    var state = unit?.State ?? UnitState.Inactive;
                    if (!quiet)
                        output.Append(LabUnit.Text(state)).Append('\n');
                    if (state != UnitState.Active)
                        exit = 3;
                    break;
                case "is-failed":
                    if (!quiet)
                        output.Append(LabUnit.Text(unit?.State ?? UnitState.Inactive)).Append('\n');
                    if (unit?.State != UnitState.Failed)
                        exit = 1;
                    break;
                case "is-enabled":
                    var enabled = unit is not null && File.Exists(WantsLink(name));
                    if (!quiet)
                        output.Append(unit is null ? "not-found" : enabled ? "enabled" : "disabled").Append('\n');
                    if (!enabled)
                        exit = 1;
                    break;
                case "enable" or "disable" when unit is null:
                    errors.Append($"Failed to {verb} unit: Unit file {display} does not exist.\n");
                    exit = 1;
                    break;
                case "enable":
                    if (!File.Exists(WantsLink(name)))
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(WantsLink(name))!);
                        LabFiles.Symlink(WantsLink(name), Path.Combine(UnitDirectory, display));
                        errors.Append($"Created symlink {WantsLink(name)} → {Path.Combine(UnitDirectory, display)}.\n");
                    }
                    if (args.Contains("--now"))
                        await TryAsync(() => unit!.StartAsync(ct), display, errors, e => exit = e).ConfigureAwait(false);
                    break;
                case "disable":
                    if (File.Exists(WantsLink(name)))
                    {
                        File.Delete(WantsLink(name));
                        errors.Append($"Removed \"{WantsLink(name)}\".\n");
                    }
                    if (args.Contains("--now"))
                        await unit!.StopAsync(ct).ConfigureAwait(false);
                    break;
                case "status":
                    if (unit is null)
                    {
                        errors.Append($"Unit {display} could not be found.\n");
                        exit = 4;
                        break;
                    }
                    output.Append(Status(unit, display));
                    if (unit.State != UnitState.Active)
                        exit = 3;
                    break;
                case "show":
                    output.Append(Show(unit, display));
                    break;
                case "cat":
                    // Discovery asks `systemctl cat kubelet` whether the unit exists at all (a failed
                    // kubelet is still a kubelet the restore must start again).
                    var unitFile = Path.Combine(UnitDirectory, display);
                    if (unit is null || !File.Exists(unitFile))
                    {
                        errors.Append($"No files found for {display}.\n");
                        exit = 1;
                        break;
                    }
                    output.Append($"# {unitFile}\n").Append(File.ReadAllText(unitFile));
                    break;
                case "kill" when unit is not null:
                    await unit.KillAsync(SignalFrom(args), noRestart: false, ct).ConfigureAwait(false);
                    break;
                default:
                    errors.Append($"Unknown command verb {verb}, or unit {display} not found.\n");
                    exit = 1;
                    break;
            }
        }
        return new ControlReply(exit, output.ToString(), errors.ToString());
    }

    private static async Task TryAsync(Func<Task> start, string display, StringBuilder errors, Action<int> fail)
    {
        try
        {
            await start().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
        {
            errors.Append($"Job for {display} failed: {ex.Message}\n");
            fail(1);
        }
    }

    private static int SignalFrom(IReadOnlyList<string> args)
    {
        var given = args.FirstOrDefault(a => a.StartsWith("--signal=", StringComparison.Ordinal) || a.StartsWith("-s", StringComparison.Ordinal));
        return given is not null && given.Contains("KILL", StringComparison.Ordinal) || given?.EndsWith("=9", StringComparison.Ordinal) == true
            ? LabNative.SigKill : LabNative.SigTerm;
    }

    private static string Status(LabUnit unit, string display)
    {
        var state = unit.State switch
        {
            UnitState.Active => "active (running)",
            UnitState.Activating => "activating (auto-restart)",
            UnitState.Failed => "failed (Result: exit-code)",
            _ => "inactive (dead)",
        };
        var since = unit.Since is { } s ? $" since {s:ddd yyyy-MM-dd HH:mm:ss} UTC" : "";
        var text = new StringBuilder($"● {display}\n     Loaded: loaded ({UnitDirectory}/{display}; {(File.Exists(WantsLink(unit.Name)) ? "enabled" : "disabled")})\n     Active: {state}{since}\n");
        if (unit.MainPid is { } pid)
            text.Append($"   Main PID: {pid} ({Path.GetFileName(LabProcessTable.CommandLine(pid).Split(' ')[0])})\n");
        return text.ToString();
    }

    /// <summary>`systemctl show`: the properties Ansible's systemd module reads (it decides from
    /// LoadState, ActiveState and UnitFileState whether to start or enable a unit).</summary>
    private static string Show(LabUnit? unit, string display)
    {
        var active = unit?.State ?? UnitState.Inactive;
        var sub = active switch
        {
            UnitState.Active => unit is TimerUnit ? "waiting" : "running",
            UnitState.Activating => "auto-restart",
            UnitState.Failed => "failed",
            _ => "dead",
        };
        var loaded = unit is null ? "not-found" : "loaded";
        var fileState = unit is null ? "" : File.Exists(WantsLink(unit.Name)) ? "enabled" : "disabled";
        return $"Id={display}\nNames={display}\nLoadState={loaded}\nActiveState={LabUnit.Text(active)}\nSubState={sub}\n" +
            $"UnitFileState={fileState}\nFragmentPath={(unit is null ? "" : Path.Combine(UnitDirectory, display))}\nMainPID={unit?.MainPid ?? 0}\n";
    }

    private const string TimersWantsDirectory = "/etc/systemd/system/timers.target.wants";

    private static string WantsLink(string name) =>
        Path.Combine(IsTimer(name) ? TimersWantsDirectory : MasterLayout.WantsDirectory, FileName(Normalize(name)));

    private static bool IsTimer(string name) => name.EndsWith(".timer", StringComparison.Ordinal);

    /// <summary>The unit file's name: services are keyed without ".service", timers keep ".timer".</summary>
    private static string FileName(string key) => IsTimer(key) ? key : key + ".service";

    private static string Normalize(string name) => name.EndsWith(".service", StringComparison.Ordinal) ? name[..^".service".Length] : name;
}
