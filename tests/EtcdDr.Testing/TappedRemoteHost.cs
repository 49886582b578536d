using System.Security.Cryptography;
using EtcdDr.Remote;

namespace EtcdDr.Testing;

/// <summary>
/// Records what goes to a real host (argument lists, options, stdin hash, exit code) and passes it
/// on: the transcript of a run against the lab, in the same form as <see cref="RecordingRemoteHost"/>'s.
/// </summary>
public sealed class TappedRemoteHost(IRemoteHost inner) : IRemoteHost
{
    public string Name => inner.Name;
    public List<RecordedCommand> Commands { get; } = [];

    public string Transcript()
    {
        lock (Commands)
            return string.Concat(Commands.Select(c => c + "\n"));
    }

    public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
    {
        var result = await inner.RunAsync(argv, options, ct).ConfigureAwait(false);
        Add(new RecordedCommand("run", [.. argv], options ?? new RemoteRunOptions(),
            options?.Stdin is { } stdin ? Convert.ToHexStringLower(SHA256.HashData(stdin.Span)) : null, result.ExitCode));
        return result;
    }

    public async Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct)
    {
        var exit = 0;
        try { await inner.StreamOutAsync(argv, options, stdout, ct).ConfigureAwait(false); }
        catch (RemoteException ex) { exit = ex.ExitCode; throw; }
        finally { Add(new RecordedCommand("stream-out", [.. argv], options ?? new RemoteRunOptions(), null, exit)); }
    }

    public async Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var exit = 0;
        try
        {
            await inner.StreamInAsync(argv, options, async (stream, token) =>
            {
                using var buffer = new MemoryStream();
                await stdin(buffer, token).ConfigureAwait(false);
                hash.AppendData(buffer.GetBuffer(), 0, (int)buffer.Length);
                buffer.Position = 0;
                await buffer.CopyToAsync(stream, token).ConfigureAwait(false);
            }, ct).ConfigureAwait(false);
        }
        catch (RemoteException ex) { exit = ex.ExitCode; throw; }
        finally { Add(new RecordedCommand("stream-in", [.. argv], options ?? new RemoteRunOptions(), Convert.ToHexStringLower(hash.GetHashAndReset()), exit)); }
    }

    private void Add(RecordedCommand command)
    {
        lock (Commands)
            Commands.Add(command);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}

/// <summary>Wraps every host another factory makes in a <see cref="TappedRemoteHost"/>.</summary>
public sealed class TappedRemoteHostFactory(IRemoteHostFactory inner) : IRemoteHostFactory
{
    public List<TappedRemoteHost> Hosts { get; } = [];

    public IRemoteHost Create(MasterHost master, SshSettings ssh)
    {
        var host = new TappedRemoteHost(inner.Create(master, ssh));
        Hosts.Add(host);
        return host;
    }
}
