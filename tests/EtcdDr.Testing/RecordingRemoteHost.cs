using System.Security.Cryptography;
using System.Text;
using EtcdDr.Remote;

namespace EtcdDr.Testing;

/// <summary>One command a <see cref="RecordingRemoteHost"/> was asked to run, with how and what came of it.</summary>
/// <param name="Kind">run, stream-in or stream-out (the IRemoteHost method used).</param>
/// <param name="StdinSha256">Lower-case hex SHA-256 of the bytes fed to stdin; null when none.</param>
public sealed record RecordedCommand(string Kind, IReadOnlyList<string> Argv, RemoteRunOptions Options, string? StdinSha256, int ExitCode)
{
    public string CommandLine => ShellQuote.Join(Argv);

    /// <summary>"# argv" for a privileged command, "$ argv" otherwise; stdin by its hash's first 12
    /// digits, streams and non-zero exits marked. Timeouts are recorded but not rendered (noise).</summary>
    public override string ToString()
    {
        var line = new StringBuilder(Options.Privileged ? "# " : "$ ").Append(CommandLine);
        if (StdinSha256 is { } hash)
            line.Append(" < sha256:").Append(hash[..12]);
        if (Kind == "stream-out")
            line.Append(" |");
        if (ExitCode != 0)
            line.Append(" => exit ").Append(ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return line.ToString();
    }
}

/// <summary>
/// A master for unit tests that records every command (argument list, options, stdin hash) and keeps
/// a small file system that the usual file commands really change: `mv [-f] [-T]`, `install -m MODE
/// /dev/stdin PATH` (stream in), `mkdir -p [-m MODE]`, `chown [-R]`, `chmod`, `cat`, `test -e/-d/-f`,
/// `ls -1d`, `ls -A`, `rm -f` of files, `rmdir` of empty directories and `stat -c` (%a %U %G %F).
/// Everything else (systemctl, ss, crictl, etcdctl...) is answered by <see cref="Handlers"/> (a
/// model of the master, consulted first) or by <see cref="Script"/>ed answers; anything unknown
/// exits 127 like a missing program. <see cref="Transcript"/> renders the session as text for golden
/// comparisons.
/// </summary>
public sealed class RecordingRemoteHost(string name) : IRemoteHost
{
    private readonly Dictionary<string, Queue<ProcessResult>> _scripts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProcessResult> _lastScripted = new(StringComparer.Ordinal);

    public string Name => name;
    public FakeFileSystem FileSystem { get; } = new();
    public List<RecordedCommand> Commands { get; } = [];

    /// <summary>A model of the master: return a result to answer a command, null to pass it on.
    /// Called before scripts and the built-in file commands, in order.</summary>
    public List<Func<IReadOnlyList<string>, ProcessResult?>> Handlers { get; } = [];

    /// <summary>Answers for one exact command line (as ShellQuote.Join renders it), in order; the last one repeats.</summary>
    public RecordingRemoteHost Script(string commandLine, params ProcessResult[] answers)
    {
        if (answers.Length == 0)
            throw new ArgumentException("give at least one answer", nameof(answers));
        _scripts[commandLine] = new Queue<ProcessResult>(answers);
        return this;
    }

    public static ProcessResult Ok(string stdout = "") => new(0, stdout, "");
    public static ProcessResult Fail(int exit, string stderr = "") => new(exit, "", stderr);

    /// <summary>The transcript, one line per command.</summary>
    public string Transcript() => string.Concat(Commands.Select(c => c + "\n"));

    /// <summary>Forgets the commands so far (after a test's setup).</summary>
    public void ClearTranscript() => Commands.Clear();

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        options ??= new RemoteRunOptions();
        var stdin = options.Stdin?.ToArray();
        var result = Execute(argv, stdin);
        Commands.Add(new RecordedCommand("run", [.. argv], options, stdin is null ? null : Hash(stdin), result.ExitCode));
        return Task.FromResult(result);
    }

    public async Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var result = Execute(argv, null);
        Commands.Add(new RecordedCommand("stream-out", [.. argv], options ?? new RemoteRunOptions(), null, result.ExitCode));
        if (result.ExitCode != 0)
            throw RemoteException.CommandFailed(name, argv, result);
        await stdout(new MemoryStream(Encoding.UTF8.GetBytes(result.Stdout)), ct).ConfigureAwait(false);
    }

    public async Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        using var buffer = new MemoryStream();
        await stdin(buffer, ct).ConfigureAwait(false);
        var bytes = buffer.ToArray();
        var result = Execute(argv, bytes);
        Commands.Add(new RecordedCommand("stream-in", [.. argv], options ?? new RemoteRunOptions(), Hash(bytes), result.ExitCode));
        if (result.ExitCode != 0)
            throw RemoteException.CommandFailed(name, argv, result);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private ProcessResult Execute(IReadOnlyList<string> argv, byte[]? stdin)
    {
        foreach (var handler in Handlers)
        {
            if (handler(argv) is { } handled)
                return handled;
        }
        var line = ShellQuote.Join(argv);
        if (_scripts.TryGetValue(line, out var queue))
        {
            if (queue.Count > 0)
                _lastScripted[line] = queue.Dequeue();
            return _lastScripted[line];
        }
        return new FakeCoreutils(FileSystem).Run(argv, stdin) ?? Fail(127, $"bash: {argv[0]}: command not found\n");
    }
}
