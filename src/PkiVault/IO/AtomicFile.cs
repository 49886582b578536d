using System.Security.Cryptography;

namespace PkiVault.IO;

/// <summary>
/// A file written under a temporary name in the destination's directory (mode 0600 from the first
/// byte) and renamed into place only on <see cref="CommitAsync"/>. Disposing without committing
/// deletes the temporary file, so a failure never leaves anything at the destination path.
/// </summary>
public sealed class AtomicFile : IAsyncDisposable, IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private bool _committed;

    private AtomicFile(string destination, string temporary, FileStream stream, bool overwrite)
    {
        Destination = destination;
        TemporaryPath = temporary;
        Stream = stream;
        Overwrite = overwrite;
    }

    public string Destination { get; }
    public string TemporaryPath { get; }
    public FileStream Stream { get; }
    private bool Overwrite { get; }

    /// <summary>Creates the temporary file. Refuses an existing destination unless <paramref name="overwrite"/>.</summary>
    public static AtomicFile Create(string destination, bool overwrite, UnixFileMode mode = OwnerOnly, int bufferSize = 1024 * 1024)
    {
        var full = Path.GetFullPath(destination);
        if (!overwrite && (File.Exists(full) || Directory.Exists(full)))
            throw new OutputExistsException(destination);
        var directory = Path.GetDirectoryName(full) ?? ".";
        var temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.part");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = bufferSize,
        };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = mode;
        return new AtomicFile(full, temporary, new FileStream(temporary, options), overwrite);
    }

    /// <summary>Flushes to disk and renames into place.</summary>
    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        Stream.Flush(flushToDisk: true);
        await Stream.DisposeAsync().ConfigureAwait(false);
        if (!Overwrite && File.Exists(Destination))
            throw new OutputExistsException(Destination);
        File.Move(TemporaryPath, Destination, overwrite: Overwrite);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync().ConfigureAwait(false);
        Cleanup();
    }

    public void Dispose()
    {
        Stream.Dispose();
        Cleanup();
    }

    private void Cleanup()
    {
        if (_committed)
            return;
        try
        {
            File.Delete(TemporaryPath);
        }
        catch (IOException)
        {
            // Best effort: the temporary name is hidden and never the destination.
        }
    }
}
