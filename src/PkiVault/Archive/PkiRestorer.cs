using System.Globalization;
using System.Security.Cryptography;
using PkiVault.IO;

namespace PkiVault.Archive;

public enum PkiRestoreAction
{
    /// <summary>Written where nothing was.</summary>
    Placed,
    /// <summary>An identical file was already there; left alone.</summary>
    Unchanged,
    /// <summary>A different file was there; it was renamed to <see cref="PkiRestoreStep.MovedAsideTo"/> first.</summary>
    Replaced,
}

public sealed record PkiRestoreStep(string Path, PkiRestoreAction Action, string Mode, string? MovedAsideTo);

/// <summary>
/// Restores a PKI archive into a directory. All files are first staged next to their destinations
/// (0600, fsynced) while the archive is authenticated and every file is checked against the
/// manifest; only when the whole archive checks out are they renamed into place. An existing file
/// that differs is moved aside to <c>NAME.dr-&lt;UTC timestamp&gt;</c>, never overwritten.
/// </summary>
public static class PkiRestorer
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private sealed record Staged(PkiManifestFile Record, string Destination, string Temporary);

    public static async Task<IReadOnlyList<PkiRestoreStep>> RestoreAsync(Stream tar, string targetDirectory, TimeProvider clock, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(targetDirectory);
        var staged = new List<Staged>();
        var createdDirectories = new List<string>();
        try
        {
            await PkiArchiveReader.ReadAsync(tar, onManifest: null, async file =>
            {
                var destination = SafeJoin(root, file.Record.Path);
                CreateDirectories(Path.GetDirectoryName(destination)!, createdDirectories);
                var temporary = Path.Combine(Path.GetDirectoryName(destination)!,
                    $".{Path.GetFileName(destination)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.dr-staging");
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = OwnerOnly;
                var stream = new FileStream(temporary, options);
                staged.Add(new Staged(file.Record, destination, temporary));
                await using (stream.ConfigureAwait(false))
                {
                    await stream.WriteAsync(file.Data, cancellationToken).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var s in staged)
                TryDelete(s.Temporary);
            // Leave the target as it was: remove the folders this attempt made, deepest first.
            foreach (var directory in createdDirectories.OrderByDescending(d => d.Length))
            {
                try
                {
                    Directory.Delete(directory);
                }
                catch (IOException)
                {
                    // Not empty (someone else wrote there): keep it.
                }
            }
            throw;
        }

        var stamp = clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var steps = new List<PkiRestoreStep>();
        try
        {
            foreach (var s in staged)
                steps.Add(Place(s, stamp));
        }
        catch
        {
            // A rename failed (permissions, a directory in the way): say nothing half-true, but
            // do not leave staged secrets lying around either.
            foreach (var s in staged)
                TryDelete(s.Temporary);
            throw;
        }
        return steps;
    }

    private static PkiRestoreStep Place(Staged s, string stamp)
    {
        // Private keys are 0600 whatever was recorded; everything else keeps its recorded mode.
        var mode = s.Record.ContainsSecret ? OwnerOnly : PkiManifestBuilder.ParseMode(s.Record.Mode);
        var modeText = PkiManifestBuilder.FormatMode(mode);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(s.Temporary, mode);
        File.SetLastWriteTimeUtc(s.Temporary, s.Record.ModifiedUtc.UtcDateTime);
        if (UnixOwnership.IsRoot)
            UnixOwnership.TryChown(s.Temporary, s.Record.Uid, s.Record.Gid);

        string? aside = null;
        if (File.Exists(s.Destination))
        {
            if (Sha256Of(s.Destination) == s.Record.Sha256)
            {
                TryDelete(s.Temporary);
                return new PkiRestoreStep(s.Record.Path, PkiRestoreAction.Unchanged, modeText, null);
            }
            aside = $"{s.Destination}.dr-{stamp}";
            for (var i = 1; File.Exists(aside); i++)
                aside = $"{s.Destination}.dr-{stamp}.{i}";
            File.Move(s.Destination, aside);
        }
        File.Move(s.Temporary, s.Destination);
        return new PkiRestoreStep(s.Record.Path, aside is null ? PkiRestoreAction.Placed : PkiRestoreAction.Replaced, modeText, aside);
    }

    private static void CreateDirectories(string directory, List<string> created)
    {
        var missing = new Stack<string>();
        for (var d = directory; !Directory.Exists(d); d = Path.GetDirectoryName(d)!)
            missing.Push(d);
        while (missing.Count > 0)
        {
            var d = missing.Pop();
            Directory.CreateDirectory(d);
            created.Add(d);
        }
    }

    /// <summary>Joins an archive path under the root, refusing anything that would land outside it.</summary>
    public static string SafeJoin(string root, string relative)
    {
        if (relative.Length == 0 || relative.StartsWith('/') || relative.Contains('\\', StringComparison.Ordinal)
            || relative.Split('/').Any(part => part is "" or "." or ".."))
            throw new PkiArchiveException($"refusing unsafe path in archive: {relative}", isIntegrityFailure: true);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new PkiArchiveException($"refusing path outside the target: {relative}", isIntegrityFailure: true);
        return full;
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Staging names are hidden; a leftover is harmless and named .dr-staging.
        }
    }
}
