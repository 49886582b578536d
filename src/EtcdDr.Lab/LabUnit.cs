using EtcdDr.Topology;
namespace EtcdDr.Lab;

/// <summary>systemd's ActiveState values that `systemctl is-active` prints.</summary>
public enum UnitState
{
    Inactive,
    Active,
    /// <summary>Waiting out RestartSec before an automatic restart ("activating (auto-restart)").</summary>
    Activating,
    Failed,
}

/// <summary>One unit of a master's service manager.</summary>
public abstract class LabUnit(string name)
{
    public string Name { get; } = name;
    public abstract UnitState State { get; }
    public abstract int? MainPid { get; }
    public DateTimeOffset? Since { get; protected set; }
    public abstract Task StartAsync(CancellationToken ct);
    public abstract Task StopAsync(CancellationToken ct);

    /// <summary>Signals the main process; with <paramref name="noRestart"/> the unit ends "failed" instead of restarting.</summary>
    public abstract Task KillAsync(int signal, bool noRestart, CancellationToken ct);

    public static string Text(UnitState state) => state switch
    {
        UnitState.Active => "active",
        UnitState.Activating => "activating",
        UnitState.Failed => "failed",
        _ => "inactive",
    };
}

/// <summary>
/// A unit that runs its ExecStart, re-reading the unit file and EnvironmentFile at every start
/// (systemd needs daemon-reload for the unit file; the env file is read at each start there too).
/// Restart= and RestartSec= are honoured. Type=notify is not: start returns once the process runs.
/// </summary>
public sealed class ProcessUnit(string name, string unitPath, string logFile, IReadOnlyDictionary<string, string> baseEnvironment) : LabUnit(name)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SupervisedProcess? _process;
    private UnitState _state = UnitState.Inactive;
    private CancellationTokenSource? _restartWait;
    private bool _stopping;
    private bool _noRestart;

    public override UnitState State => _state;
    public override int? MainPid => _process is { HasExited: false } p ? p.Pid : null;

    public override async Task StartAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_state == UnitState.Active && _process is { HasExited: false })
                return;
            _restartWait?.Cancel();
            Launch();
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task StopAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _stopping = true;
            _restartWait?.Cancel();
            if (_process is { HasExited: false } p)
            {
                var unit = Read();
                // systemd runs ExecStop= first and signals what is left afterwards.
                foreach (var argv in unit.ExecStop)
                    await RunHelperAsync(argv, _lastEnvironment ?? baseEnvironment, unit.TimeoutStopSec, ct).ConfigureAwait(false);
                await p.StopAsync(unit.TimeoutStopSec, ct).ConfigureAwait(false);
            }
            // Forget the process so its exit monitor (waiting on the gate) knows nobody must restart it.
            _process = null;
            _state = UnitState.Inactive;
            Since = DateTimeOffset.UtcNow;
        }
        finally
        {
            _stopping = false;
            _gate.Release();
        }
    }

    public override Task KillAsync(int signal, bool noRestart, CancellationToken ct)
    {
        _noRestart = noRestart;
        _process?.Signal(signal);
        return Task.CompletedTask;
    }

    private UnitFile Read() => UnitFile.Parse(Name, File.ReadAllText(unitPath));

    private IReadOnlyDictionary<string, string>? _lastEnvironment;

    /// <summary>An ExecStartPre= or ExecStop= command; its output goes to the unit's log, as to the journal.</summary>
    private async Task<int> RunHelperAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            var result = await Remote.ProcessRunner.RunAsync(argv[0], argv.Skip(1).ToList(),
                new Remote.ProcessRunOptions { Timeout = timeout, Environment = env.ToDictionary(e => e.Key, e => (string?)e.Value) }, ct).ConfigureAwait(false);
            await File.AppendAllTextAsync(logFile, $"--- etcd-dr lab: {string.Join(' ', argv)} exited {result.ExitCode}\n{result.Stdout}{result.Stderr}", ct).ConfigureAwait(false);
            return result.ExitCode;
        }
        catch (Exception ex) when (ex is IOException or System.ComponentModel.Win32Exception or Remote.RemoteException)
        {
            return 127;
        }
    }

    private void Launch()
    {
        var unit = Read();
        if (unit.ExecStart.Count == 0)
            throw new InvalidOperationException($"{unitPath} has no ExecStart");
        var env = new Dictionary<string, string>(baseEnvironment);
        foreach (var (path, optional) in unit.EnvironmentFiles)
        {
            if (File.Exists(path))
            {
                foreach (var (k, v) in EtcdEnvFile.Parse(File.ReadAllText(path)))
                    env[k] = v;
            }
            else if (!optional)
            {
                _state = UnitState.Failed;
                throw new InvalidOperationException($"Failed to load environment files: {path} does not exist");
            }
        }
        foreach (var (k, v) in unit.Environment)
            env[k] = v;
        _lastEnvironment = env;
        foreach (var (argv, ignoreFailure) in unit.ExecStartPre)
        {
            var code = RunHelperAsync(argv, env, TimeSpan.FromSeconds(90), CancellationToken.None).GetAwaiter().GetResult();
            if (code != 0 && !ignoreFailure)
            {
                _state = UnitState.Failed;
                throw new InvalidOperationException($"ExecStartPre={string.Join(' ', argv)} exited with {code}");
            }
        }
        _noRestart = false;
        var process = SupervisedProcess.Start(unit.ExecStart[0], unit.ExecStart.Skip(1), env, logFile);
        _process = process;
        _state = UnitState.Active;
        Since = DateTimeOffset.UtcNow;
        _ = MonitorAsync(process, unit);
    }

    private async Task MonitorAsync(SupervisedProcess process, UnitFile unit)
    {
        var code = await process.Exited.ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_stopping || !ReferenceEquals(process, _process))
                return;
            Since = DateTimeOffset.UtcNow;
            if (_noRestart || !unit.RestartsAfter(code))
            {
                _state = code == 0 && !_noRestart ? UnitState.Inactive : UnitState.Failed;
                return;
            }
            _state = UnitState.Activating;
            _restartWait = new CancellationTokenSource();
            var wait = _restartWait.Token;
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(unit.RestartSec, wait).ConfigureAwait(false);
                    await _gate.WaitAsync(wait).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                try
                {
                    if (_state == UnitState.Activating)
                        Launch();
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException or System.ComponentModel.Win32Exception)
                {
                    _state = UnitState.Failed;
                    Console.Error.WriteLine($"{Name}: restart failed: {ex.Message}");
                }
                finally
                {
                    _gate.Release();
                }
            }, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }
}
