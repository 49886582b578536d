namespace EtcdDr.Remote;

/// <summary>How to run one remote command.</summary>
/// <param name="Privileged">Run as root: through `sudo -n` when the SSH user is not root.</param>
/// <param name="Stdin">Bytes for the command's stdin; closed at once when null.</param>
/// <param name="Timeout">Whole-command limit; the local ssh is killed after it.</param>
public sealed record RemoteRunOptions(bool Privileged = false, ReadOnlyMemory<byte>? Stdin = null, TimeSpan? Timeout = null)
{
    public static readonly RemoteRunOptions Root = new(Privileged: true);
}

/// <summary>
/// A master the orchestrator works on: run an argument list, stream bytes in and out, read and write
/// files. OpenSshHost does it over the system OpenSSH client; LocalHost on this machine, for
/// on-master mode and tests. Restore and discovery talk only to this interface, so a whole runbook
/// can be unit-tested as a recorded list of commands.
/// </summary>
public interface IRemoteHost : IAsyncDisposable
{
    /// <summary>The inventory name, used in every message.</summary>
    string Name { get; }

    /// <summary>Runs a command and collects its output. A non-zero exit is returned, not thrown;
    /// failures to reach the host (auth, host key, network, sudo) throw <see cref="RemoteException"/>.</summary>
    Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct);

    /// <summary>Runs a command whose stdout is streamed to <paramref name="stdout"/> (a PKI file,
    /// a snapshot) without collecting it in memory; throws on a non-zero exit.</summary>
    Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct);

    /// <summary>Runs a command that reads <paramref name="stdin"/> as its input stream; throws on a non-zero exit.</summary>
    Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct);
}

/// <summary>Why a remote operation failed, so callers and operators can tell the causes apart.</summary>
public enum RemoteFailure
{
    Unreachable,
    AuthenticationFailed,
    HostKeyMismatch,
    HostKeyUnknown,
    SudoRequiresPassword,
    /// <summary>A privileged command needed sudo (the user is not root, or ssh.sudo is always) and the host has none.</summary>
    SudoMissing,
    CommandFailed,
    /// <summary>The command ran past its timeout; the local ssh was killed and the command stopped on the host.</summary>
    TimedOut,
}

public sealed class RemoteException(string host, RemoteFailure failure, string message, int exitCode = -1, string stderr = "")
    : DrException($"{host}: {message}", failure == RemoteFailure.CommandFailed ? FailureKind.General : FailureKind.Unreachable)
{
    public string Host { get; } = host;
    public RemoteFailure Failure { get; } = failure;
    public int ExitCode { get; } = exitCode;
    public string Stderr { get; } = stderr;

    /// <summary>A command that ran and exited non-zero, with what it printed on stderr.</summary>
    public static RemoteException CommandFailed(string host, IReadOnlyList<string> argv, ProcessResult result) =>
        new(host, RemoteFailure.CommandFailed,
            $"`{ShellQuote.Join(argv)}` exited {result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {result.Stderr.Trim()}", result.ExitCode, result.Stderr);
}
