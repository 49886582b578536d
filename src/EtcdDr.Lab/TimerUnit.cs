namespace EtcdDr.Lab;

/// <summary>
/// A .timer unit: start makes it "active (waiting)", stop "inactive". The lab never fires it (a
/// master's scheduled snapshot is run by hand or by the test that wants one); it exists so that
/// installers (Ansible's systemd module, `systemctl enable --now x.timer`) see what systemd shows.
/// </summary>
public sealed class TimerUnit(string name) : LabUnit(name)
{
    private UnitState _state = UnitState.Inactive;

    public override UnitState State => _state;

    public override int? MainPid => null;

    public override Task StartAsync(CancellationToken ct)
    {
        if (_state != UnitState.Active)
        {
            _state = UnitState.Active;
            Since = DateTimeOffset.UtcNow;
        }
        return Task.CompletedTask;
    }

    public override Task StopAsync(CancellationToken ct)
    {
        _state = UnitState.Inactive;
        Since = DateTimeOffset.UtcNow;
        return Task.CompletedTask;
    }

    public override Task KillAsync(int signal, bool noRestart, CancellationToken ct) => Task.CompletedTask;
}
