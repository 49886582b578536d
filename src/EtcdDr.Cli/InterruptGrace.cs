namespace EtcdDr.Cli;

/// <summary>
/// How long Ctrl-C (or SIGTERM) waits before the process ends on its own. Normally a few seconds:
/// a command cleans up (FILE.part deleted) and exits 130 well within them. A command that owns
/// something outside this process that must not be left behind (a drill's lab: namespaces, sshds,
/// etcds) takes a <see cref="Hold"/> while it owns it, and the exit waits until the hold is
/// released, up to <see cref="MaxHeld"/>. A second Ctrl-C is never intercepted and ends the process at once.
/// </summary>
public static class InterruptGrace
{
    public static readonly TimeSpan Normal = TimeSpan.FromSeconds(5);

    /// <summary>The longest a held exit waits: a lab torn down on a machine under heavy load.</summary>
    public static readonly TimeSpan MaxHeld = TimeSpan.FromMinutes(3);

    private static int _holds;

    public static bool Held => Volatile.Read(ref _holds) > 0;

    public static IDisposable Hold()
    {
        Interlocked.Increment(ref _holds);
        return new Release();
    }

    /// <summary>Waits the normal grace, then for as long as a hold is taken (bounded), then returns.</summary>
    public static async Task WaitAsync()
    {
        await Task.Delay(Normal).ConfigureAwait(false);
        var waited = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(100);
        while (Held && waited < MaxHeld)
        {
            await Task.Delay(step).ConfigureAwait(false);
            waited += step;
        }
    }

    private sealed class Release : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                Interlocked.Decrement(ref _holds);
        }
    }
}
