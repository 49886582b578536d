using System.CommandLine;
using System.Runtime.InteropServices;
using EtcdDr.Cli;

var root = EtcdDrCli.Build(Console.Out, Console.Error);

// Ctrl-C and SIGTERM cancel the command's token, and the command cleans up (FILE.part deleted,
// uploads aborted) and exits 130 itself. System.CommandLine's own handling (turned off below) ended
// the process on SIGINT before the command got that far, leaving FILE.part behind. A second
// Ctrl-C is not intercepted, so a stuck clean-up can still be cut short.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupt.Cancel();
});
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, interrupt.Token).ConfigureAwait(false);
