using System.CommandLine;
using System.Runtime.InteropServices;
using EtcdDr.Cli;

using var memoryTrace = EtcdDr.Diagnostics.MemoryTrace.StartIfAsked();
var root = EtcdDrCli.Build(Console.Out, Console.Error);

// Ctrl-C and SIGTERM cancel the command's token, and the command cleans up (FILE.part deleted,
// uploads aborted) and exits 130 itself. System.CommandLine's own handling (turned off below) ended
// the process on SIGINT before the command got that far, leaving FILE.part behind. A command that
// ignores its token still ends after a grace period (longer while a drill tears its lab down, see
// InterruptGrace), and a second Ctrl-C is not intercepted.
using var interrupt = new CancellationTokenSource();
bool Interrupt()
{
    if (interrupt.IsCancellationRequested)
        return false;
    interrupt.Cancel();
    _ = InterruptGrace.WaitAsync().ContinueWith(_ => Environment.Exit(130), TaskScheduler.Default);
    return true;
}
Console.CancelKeyPress += (_, e) => e.Cancel = Interrupt();
// A repeated SIGTERM changes nothing: the grace period already runs.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    Interrupt();
    context.Cancel = true;
});
return await EtcdDrCli.RunAsync(root, args, new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupt.Token).ConfigureAwait(false);
