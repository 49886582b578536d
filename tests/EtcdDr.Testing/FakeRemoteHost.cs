using System.Text;
using EtcdDr.Remote;

namespace EtcdDr.Testing;

/// <summary>
/// A master made of a file map and canned command answers, recording every command it is asked to
/// run: for unit tests of discovery (and later restore plans) as a list of remote commands.
/// </summary>
public sealed class FakeRemoteHost(string name) : IRemoteHost
{
    public string Name => name;
    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, ProcessResult> Answers { get; } = new(StringComparer.Ordinal);
    public List<string> Commands { get; } = [];

    public Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        var line = ShellQuote.Join(argv);
        Commands.Add(line);
        if (Answers.TryGetValue(line, out var canned))
            return Task.FromResult(canned);
        return Task.FromResult(argv.ToArray() switch
        {
            ["ls", "-1d", "--", .. var paths] => new ProcessResult(paths.All(Files.ContainsKey) ? 0 : 2, string.Concat(paths.Where(Files.ContainsKey).Select(p => p + "\n")), ""),
            ["test", "-e", var path] => new ProcessResult(Files.ContainsKey(path) ? 0 : 1, "", ""),
            ["head", "-c", var count, "--", var path] => Files.TryGetValue(path, out var content)
                ? new ProcessResult(0, content[..Math.Min(content.Length, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture))], "")
                : new ProcessResult(1, "", $"head: cannot open '{path}' for reading: No such file or directory"),
            ["find", "-H", .. var args] when args is [.., "-maxdepth", "1", "-name", "*.conf"] => FindConf(args[..^4]),
            ["systemctl", ..] => new ProcessResult(4, "", "Unit not found."),
            _ => new ProcessResult(127, "", $"{argv[0]}: command not found"),
        });
    }

    /// <summary>`find DIR... -maxdepth 1 -name '*.conf'` over the file map: directories are keys with children.</summary>
    private ProcessResult FindConf(string[] dirs) => new(0, string.Concat(dirs.SelectMany(d => Files.Keys
        .Where(f => f.StartsWith(d + "/", StringComparison.Ordinal) && !f[(d.Length + 1)..].Contains('/', StringComparison.Ordinal) && f.EndsWith(".conf", StringComparison.Ordinal))
        .Order(StringComparer.Ordinal)).Select(f => f + "\n")), "");

    public async Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct)
    {
        Commands.Add(ShellQuote.Join(argv));
        if (argv is ["cat", "--", var path])
        {
            if (!Files.TryGetValue(path, out var content))
                throw new RemoteException(name, RemoteFailure.CommandFailed, $"cat: {path}: No such file or directory", 1);
            await stdout(new MemoryStream(Encoding.UTF8.GetBytes(content)), ct);
            return;
        }
        throw new RemoteException(name, RemoteFailure.CommandFailed, $"unexpected streaming command {ShellQuote.Join(argv)}", 127);
    }

    public Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct) =>
        throw new NotSupportedException("FakeRemoteHost does not take input streams yet");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
