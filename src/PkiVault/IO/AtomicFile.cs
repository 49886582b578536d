using System.Security.Cryptography;

namespace PkiVault.IO;

/// <summary>
/// A file written under a temporary name in the destination's directory (mode 0600 from the first
/// byte) and renamed into place only on <see cref="CommitAsync"/>. Disposing without committing
/// deletes the temporary file, so a failure never leaves anything at the destination path.
/// Writes go through <see cref="WritebackStream"/>, which starts disk writeback every few MiB, so
/// the fsync in <see cref="CommitAsync"/> has little left to do for a large file.
/// </summary>
public sealed class AtomicFile : IAsyncDisposable, IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private bool _committed;

    private readonly FileStream _file;
    private readonly WritebackStream _stream;

    private AtomicFile(string destination, string temporary, FileStream file, bool overwrite)
    {
        Destination = destination;
        TemporaryPath = temporary;
        _file = file;
        _stream = new WritebackStream(file);
        Overwrite = overwrite;
    }

    public string Destination { get; }
    public string TemporaryPath { get; }

    /// <summary>Where to write the content (write-only, not seekable).</summary>
    public Stream Stream => _stream;

    /// <summary>False once the kernel refused a writeback hint (tmpfs is fine; non-Linux never has them).</summary>
    internal bool WritebackEnabled => _stream.WritebackEnabled;
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
        await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
        _file.Flush(flushToDisk: true);
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (!Overwrite && File.Exists(Destination))
            throw new OutputExistsException(Destination);
        File.Move(TemporaryPath, Destination, overwrite: Overwrite);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        Cleanup();
    }

    public void Dispose()
    {
        _stream.Dispose();
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
