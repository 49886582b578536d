using System.Runtime.CompilerServices;
using PkiVault.Archive;

namespace PkiVault.Tests.Archive;

/// <summary>An in-memory source; <see cref="Files"/> can change between enumerations to simulate a live tree.</summary>
internal sealed class FakePkiSource : IPkiSource
{
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public int Enumerations { get; private set; }

    public Action<int>? BeforeEnumeration { get; set; }

    public string Description => "fake";

    public async IAsyncEnumerable<PkiSourceFile> EnumerateAsync(Action<string> note, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BeforeEnumeration?.Invoke(Enumerations);
        Enumerations++;
        foreach (var (path, data) in Files.OrderBy(f => f.Key, StringComparer.Ordinal).ToList())
        {
            await Task.Yield();
            var metadata = new PkiFileMetadata(UnixFileMode.UserRead | UnixFileMode.UserWrite, 0, 0, new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), data.Length);
            var snapshot = data;
            yield return new PkiSourceFile(path, metadata, _ => Task.FromResult<Stream>(new MemoryStream(snapshot)));
        }
    }
}
