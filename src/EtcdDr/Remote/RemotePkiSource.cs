using System.Globalization;
using System.Runtime.CompilerServices;
using PkiVault.Archive;

namespace EtcdDr.Remote;

/// <summary>
/// A master's PKI tree as a source for PKI archives: files are listed with their metadata in one
/// `find -printf` round trip and each is streamed over SSH into memory when the archive writer asks
/// for it, so keys go from the master into the encrypted archive without touching this disk.
/// </summary>
public sealed class RemotePkiSource(IRemoteHost host, IReadOnlyList<PkiPattern> patterns) : IPkiSource
{
    public string Description => $"{host.Name}:/";

    public async IAsyncEnumerable<PkiSourceFile> EnumerateAsync(Action<string> note, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var starts = patterns.Select(p => "/" + p.RelativePath).ToList();
        // -L follows symlinks like the local source; missing start points only complain on stderr.
        var listing = await host.RunAsync(["find", "-L", .. starts, "-type", "f", "-printf", "%p\\t%m\\t%U\\t%G\\t%T@\\t%s\\n"],
            RemoteRunOptions.Root, cancellationToken).ConfigureAwait(false);
        var files = listing.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Parse).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pattern in patterns)
        {
            var start = "/" + pattern.RelativePath;
            var matches = files.Where(f => pattern.IsDirectory ? f.Path.StartsWith(start + "/", StringComparison.Ordinal) : f.Path == start)
                .OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
            if (matches.Count == 0)
            {
                note($"skipped {pattern.RelativePath}{(pattern.IsDirectory ? "/" : "")} (not present on {host.Name})");
                continue;
            }
            foreach (var file in matches.Where(f => seen.Add(f.Path)))
                yield return new PkiSourceFile(file.Path.TrimStart('/'), file.Metadata, ct => OpenAsync(file.Path, ct));
        }
    }

    private async Task<Stream> OpenAsync(string path, CancellationToken ct) =>
        new MemoryStream(await host.ReadFileAsync(path, privileged: true, ct).ConfigureAwait(false), writable: false);

    private static (string Path, PkiFileMetadata Metadata) Parse(string line)
    {
        var f = line.Split('\t');
        if (f.Length != 6)
            throw new DrException($"unexpected `find` output line '{line}'", FailureKind.General);
        var mode = (UnixFileMode)Convert.ToInt32(f[1], 8);
        var modified = DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(f[4], CultureInfo.InvariantCulture) * 1000));
        return (f[0], new PkiFileMetadata(mode, int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture), modified,
            long.Parse(f[5], CultureInfo.InvariantCulture)));
    }
}
