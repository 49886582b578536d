namespace EtcdDr.Remote;

/// <summary>
/// This machine as a master: on-master mode, and tests. Privileged commands go through `sudo -n`
/// unless this process already runs as root.
/// </summary>
public sealed class LocalHost(string name = "localhost") : IRemoteHost
{
    private static readonly bool IsRoot = Environment.UserName == "root";

    public string Name => name;

    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        options ??= new RemoteRunOptions();
        var (program, args) = Split(argv, options.Privileged);
        var result = await ProcessRunner.RunAsync(program, args, new ProcessRunOptions
        {
            StandardInputBytes = options.Stdin,
            Timeout = options.Timeout ?? TimeSpan.FromMinutes(10),
        }, ct).ConfigureAwait(false);
        if (options.Privileged && !IsRoot && SshErrorClassifier.Classify(Name, result.ExitCode, result.Stderr, privileged: true) is { } failure)
            throw failure;
        return result;
    }

    public Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct) =>
        StreamAsync(argv, options, null, stdout, ct);

    public Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct) =>
        StreamAsync(argv, options, stdin, null, ct);

    private async Task StreamAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task>? stdin,
        Func<Stream, CancellationToken, Task>? stdout, CancellationToken ct)
    {
        options ??= new RemoteRunOptions();
        var (program, args) = Split(argv, options.Privileged);
        var result = await StreamingProcess.RunAsync(program, args, stdin, stdout, options.Timeout ?? TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw RemoteException.CommandFailed(Name, argv, result);
    }

    private static (string Program, IReadOnlyList<string> Args) Split(IReadOnlyList<string> argv, bool privileged) =>
        privileged && !IsRoot ? ("sudo", ["-n", "--", .. argv]) : (argv[0], argv.Skip(1).ToList());

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
