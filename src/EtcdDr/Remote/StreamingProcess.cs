using System.Diagnostics;

namespace EtcdDr.Remote;

/// <summary>
/// Runs a program whose stdin or stdout is a stream handed to a callback (bytes flow through without
/// being collected), while stderr is collected for the error message.
/// </summary>
public static class StreamingProcess
{
    public static async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task>? stdin, Func<Stream, CancellationToken, Task>? stdout, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new DrException($"could not start {program}", FailureKind.General);
        ChildProcessReaper.Track(process);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var writing = Task.Run(async () =>
            {
                try
                {
                    if (stdin is not null)
                        await stdin(process.StandardInput.BaseStream, limit.Token).ConfigureAwait(false);
                }
                finally
                {
                    try { process.StandardInput.Close(); } catch (IOException) { }
                }
            }, CancellationToken.None);
            var reading = stdout is not null
                ? stdout(process.StandardOutput.BaseStream, limit.Token)
                : process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, limit.Token);
            try
            {
                await Task.WhenAll(writing, reading).ConfigureAwait(false);
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                ProcessRunner.KillTree(process);
                throw new TimeoutException($"{program} did not finish within {timeout.TotalSeconds:0} s");
            }
            catch (IOException) when (process.HasExited || WaitBriefly(process))
            {
                // The program died (a broken pipe on our side); its exit code and stderr tell why.
            }
            return new ProcessResult(process.ExitCode, "", await stderr.ConfigureAwait(false));
        }
        finally
        {
            if (!process.HasExited)
                ProcessRunner.KillTree(process);
            ChildProcessReaper.Forget(process);
        }
    }

    private static bool WaitBriefly(Process p) => p.WaitForExit(TimeSpan.FromSeconds(5));
}
