namespace EtcdDr.Testing;

/// <summary>
/// A clock that moves only when told (Microsoft.Extensions.TimeProvider.Testing is not among the
/// central package versions). Timestamps follow the wall clock, so elapsed times are fake too.
/// </summary>
public sealed class FakeClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now.UtcTicks;

    public void Advance(TimeSpan by) => _now += by;
}
