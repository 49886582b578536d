using System.Diagnostics;

namespace EtcdDr.IntegrationTests.Age;

/// <summary>What a finished process left behind.</summary>
public sealed record AgeProcessResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);
}

/// <summary>
/// Runs a tool with an argument list (never a shell string), feeds stdin, and collects stdout as
/// bytes and stderr as text. A timeout kills the process tree and fails the test.
/// </summary>
public static class AgeProcessRunner
{
    public static async Task<AgeProcessResult> RunAsync(string executable, IEnumerable<string> arguments, byte[]? stdin = null,
        string? workingDirectory = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null, string? writeStdinAfter = null)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}");
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        var stdout = new MemoryStream();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (writeStdinAfter is null)
            seen.SetResult();
        var readOut = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            int n;
            while ((n = await process.StandardOutput.BaseStream.ReadAsync(buffer, cts.Token)) > 0)
            {
                lock (stdout)
                {
                    stdout.Write(buffer, 0, n);
                    if (writeStdinAfter is not null && System.Text.Encoding.UTF8.GetString(stdout.ToArray()).Contains(writeStdinAfter, StringComparison.Ordinal))
                        seen.TrySetResult();
                }
            }
            seen.TrySetResult();
        }, cts.Token);
        var readErr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            // Wait for a prompt before "typing", as a person would.
            await seen.Task.WaitAsync(cts.Token);
            if (stdin is not null)
                await process.StandardInput.BaseStream.WriteAsync(stdin, cts.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(cts.Token);
            await readOut;
            var err = await readErr;
            return new AgeProcessResult(process.ExitCode, stdout.ToArray(), err);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{executable} {string.Join(' ', arguments)} did not finish in time");
        }
    }
}
