using System.Diagnostics;
using System.Text;

namespace EtcdDr.Remote;

/// <summary>What a finished process left behind.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with both output streams in the message when the exit code is not 0.</summary>
    public ProcessResult EnsureSuccess(string what)
    {
        if (!Succeeded)
            throw new InvalidOperationException($"{what} failed with exit code {ExitCode}.\n{this}");
        return this;
    }

    public override string ToString() =>
        $"exit code {ExitCode}\n--- stdout ---\n{Tail(Stdout)}\n--- stderr ---\n{Tail(Stderr)}";

    // Keeps assertion messages readable when a command printed megabytes.
    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}

public sealed record ProcessRunOptions
{
    /// <summary>Variables to set; a null value removes the variable from the inherited environment.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>When set, only inherited variables named here (or matching a "PREFIX*") are kept: a
    /// child that needs little gets nothing else of ours (see <see cref="SshEnvironment"/>).</summary>
    public IReadOnlyList<string>? InheritOnly { get; init; }

    /// <summary>Inherited variables whose names start with any of these are removed (e.g. "ETCDCTL_").</summary>
    public IReadOnlyList<string> RemoveEnvironmentPrefixes { get; init; } = [];

    public string? WorkingDirectory { get; init; }

    /// <summary>Written to stdin (UTF-8), which is then closed. Without it stdin is closed at once.</summary>
    public string? StandardInput { get; init; }

    /// <summary>Raw bytes for stdin; wins over <see cref="StandardInput"/>.</summary>
    public ReadOnlyMemory<byte>? StandardInputBytes { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// Runs a program with an argument list (never a shell string, so nothing is ever re-parsed), waits
/// for it with a timeout, and kills the whole process tree on timeout or cancellation so a test never
/// leaves a hung child behind.
/// </summary>
public static class ProcessRunner
{
    public static async Task<ProcessResult> RunAsync(
        string program,
        IEnumerable<string> arguments,
        ProcessRunOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new ProcessRunOptions();
        var startInfo = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = options.WorkingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        ApplyEnvironment(startInfo, options);

        using var process = new Process { StartInfo = startInfo };
        if (!process.Start())
            throw new InvalidOperationException($"Could not start {program}.");
        ChildProcessReaper.Track(process);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
            await WriteStandardInputAsync(process, options).ConfigureAwait(false);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                KillTree(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                // A process the kill did not reach may hold the pipes open: an ssh ControlMaster was
                // handed a mux client's stdout and keeps it until the remote command ends. Waiting for
                // that would turn a 1 s timeout into the command's whole run.
                var output = Task.WhenAll(stdout, stderr);
                await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
                var partial = output.IsCompletedSuccessfully
                    ? new ProcessResult(-1, output.Result[0], output.Result[1])
                    : new ProcessResult(-1, "", "(output still held open by a process outside the killed tree)");
                cancellationToken.ThrowIfCancellationRequested();
                throw new TimeoutException(
                    $"{Describe(program, startInfo.ArgumentList)} did not finish within {options.Timeout.TotalSeconds:0.#} s and was killed.\n{partial}");
            }

            return new ProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
        finally
        {
            ChildProcessReaper.Forget(process);
        }
    }

    /// <summary>"program 'arg one' arg2": for messages only, never executed.</summary>
    public static string Describe(string program, IEnumerable<string> arguments) =>
        string.Join(' ', new[] { program }.Concat(arguments).Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    internal static void ApplyEnvironment(ProcessStartInfo startInfo, ProcessRunOptions options)
    {
        if (options.InheritOnly is { } allowed)
            SshEnvironment.Restrict(startInfo.Environment, allowed);
        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (options.RemoveEnvironmentPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                startInfo.Environment.Remove(name);
        }
        foreach (var (name, value) in options.Environment)
        {
            if (value is null)
                startInfo.Environment.Remove(name);
            else
                startInfo.Environment[name] = value;
        }
    }

    public static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone: nothing to kill.
        }
    }

    private static async Task WriteStandardInputAsync(Process process, ProcessRunOptions options)
    {
        var input = options.StandardInputBytes
            ?? (options.StandardInput is null ? null : Encoding.UTF8.GetBytes(options.StandardInput));
        try
        {
            if (input is { } bytes)
                await process.StandardInput.BaseStream.WriteAsync(bytes).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The child exited or closed stdin without reading it all; its exit code tells the story.
        }
    }
}
