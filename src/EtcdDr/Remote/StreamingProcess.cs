using System.Diagnostics;

namespace EtcdDr.Remote;

/// <summary>
/// Runs a program whose stdin or stdout is a stream handed to a callback (bytes flow through without
/// being collected), while stderr is collected for the error message.
/// </summary>
public static class StreamingProcess
{
    public static Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task>? stdin, Func<Stream, CancellationToken, Task>? stdout, TimeSpan timeout, CancellationToken ct) =>
        RunAsync(program, arguments, stdin, stdout, timeout, inheritOnly: null, ct);

    /// <param name="inheritOnly">When set, the only inherited environment variables the child gets
    /// (names, or prefixes ending in '*'); see <see cref="ProcessRunOptions.InheritOnly"/>.</param>
    public static async Task<ProcessResult> RunAsync(string program, IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task>? stdin, Func<Stream, CancellationToken, Task>? stdout, TimeSpan timeout,
        IReadOnlyList<string>? inheritOnly, CancellationToken ct)
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
        if (inheritOnly is not null)
            SshEnvironment.Restrict(info.Environment, inheritOnly);
        using var process = Process.Start(info) ?? throw new DrException($"could not start {program}", FailureKind.General);
        ChildProcessReaper.Track(process);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            // The callbacks' own failures are kept apart from the process's: a writer that fails
            // closes stdin, the remote command may then exit 0 on what it got, and that must not
            // pass for success.
            Exception? callbackFailure = null;
            var writing = Task.Run(async () =>
            {
                try
                {
                    if (stdin is not null)
                        await stdin(process.StandardInput.BaseStream, limit.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    callbackFailure ??= ex;
                }
                finally
                {
                    try { process.StandardInput.Close(); } catch (IOException) { }
                }
            }, CancellationToken.None);
            var reading = Task.Run(async () =>
            {
                try
                {
                    if (stdout is not null)
                        await stdout(process.StandardOutput.BaseStream, limit.Token).ConfigureAwait(false);
                    else
                        await process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, limit.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    callbackFailure ??= ex;
                    try { process.StandardOutput.Close(); } catch (IOException) { }
                }
            }, CancellationToken.None);
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
            var result = new ProcessResult(process.ExitCode, "", await stderr.ConfigureAwait(false));
            // A process that failed explains a broken pipe on our side better than the pipe does.
            if (callbackFailure is not null && result.ExitCode == 0)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(callbackFailure).Throw();
            if (callbackFailure is OperationCanceledException && ct.IsCancellationRequested)
                throw callbackFailure;
            return result;
        }
        finally
        {
            if (!process.HasExited)
                ProcessRunner.KillTree(process);
            ChildProcessReaper.Forget(process);
        }
    }
}
