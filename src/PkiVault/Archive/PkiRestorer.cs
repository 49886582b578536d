using System.Globalization;
using System.Security.Cryptography;
using PkiVault.IO;

namespace PkiVault.Archive;

public enum PkiRestoreAction
{
    /// <summary>Written where nothing was.</summary>
    Placed,
    /// <summary>An identical file with the right mode and owner was already there; left alone.</summary>
    Unchanged,
    /// <summary>An identical file was there with another mode or owner; only those were corrected.</summary>
    PermissionsFixed,
    /// <summary>A different file was there; it was renamed to <see cref="PkiRestoreStep.MovedAsideTo"/> first.</summary>
    Replaced,
}

public sealed record PkiRestoreStep(string Path, PkiRestoreAction Action, string Mode, string? MovedAsideTo);

/// <summary>
/// Restores a PKI archive into a directory. All files are first staged next to their destinations
/// (0600, fsynced) while the archive is authenticated and every file is checked against the
/// manifest; only when the whole archive checks out are they renamed into place. An existing file
/// that differs is moved aside to <c>NAME.dr-&lt;UTC timestamp&gt;</c>, never overwritten. Placing is
/// all or nothing too: if a rename or chmod fails midway, every step already taken is undone in
/// reverse order, so the tree is as it was before.
/// </summary>
public static class PkiRestorer
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private sealed record Staged(PkiManifestFile Record, UnixFileMode Mode, string Destination, string Temporary);

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
                // Private keys are 0600 whatever was recorded; a bad recorded mode fails here,
                // before anything is placed.
                var recorded = PkiManifestBuilder.ParseMode(file.Record.Mode, file.Record.Path);
                var mode = file.Record.ContainsSecret ? OwnerOnly : recorded;
                CreateDirectories(Path.GetDirectoryName(destination)!, createdDirectories);
                var temporary = Path.Combine(Path.GetDirectoryName(destination)!,
                    $".{Path.GetFileName(destination)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.dr-staging");
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                    options.UnixCreateMode = OwnerOnly;
                var stream = new FileStream(temporary, options);
                staged.Add(new Staged(file.Record, mode, destination, temporary));
                await using (stream.ConfigureAwait(false))
                {
                    await stream.WriteAsync(file.Data, cancellationToken).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DiscardStaging(staged, createdDirectories);
            throw;
        }

        var stamp = clock.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var steps = new List<PkiRestoreStep>();
        var undo = new Stack<(string Path, Action Undo)>();
        Staged? current = null;
        try
        {
            foreach (var s in staged)
            {
                current = s;
                steps.Add(Place(s, stamp, undo));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var failures = RollBack(undo);
            DiscardStaging(staged, createdDirectories);
            var what = $"could not place {current?.Record.Path}: {ex.Message}";
            throw failures.Count == 0
                ? new PkiArchiveException($"{what}; everything placed so far was rolled back, the target is as it was", isIntegrityFailure: false, ex)
                : new PkiArchiveException($"{what}; the rollback failed for {string.Join(", ", failures)}: check those paths by hand", isIntegrityFailure: false, ex);
        }
        return steps;
    }

    private static PkiRestoreStep Place(Staged s, string stamp, Stack<(string, Action)> undo)
    {
        var modeText = PkiManifestBuilder.FormatMode(s.Mode);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(s.Temporary, s.Mode);
        File.SetLastWriteTimeUtc(s.Temporary, s.Record.ModifiedUtc.UtcDateTime);
        if (UnixOwnership.IsRoot)
            UnixOwnership.TryChown(s.Temporary, s.Record.Uid, s.Record.Gid);

        string? aside = null;
        if (File.Exists(s.Destination))
        {
            if (Sha256Of(s.Destination) == s.Record.Sha256)
            {
                TryDelete(s.Temporary);
                return FixPermissions(s, modeText, undo);
            }
            aside = $"{s.Destination}.dr-{stamp}";
            for (var i = 1; File.Exists(aside); i++)
                aside = $"{s.Destination}.dr-{stamp}.{i}";
            File.Move(s.Destination, aside);
            var movedAside = aside;
            undo.Push((s.Destination, () => File.Move(movedAside, s.Destination)));
        }
        File.Move(s.Temporary, s.Destination);
        undo.Push((s.Destination, () => File.Delete(s.Destination)));
        return new PkiRestoreStep(s.Record.Path, aside is null ? PkiRestoreAction.Placed : PkiRestoreAction.Replaced, modeText, aside);
    }

    /// <summary>
    /// Same content is not enough: a key left 0644 (or owned by the wrong user) is exactly what a
    /// restore must correct, so the mode, and the owner when running as root, are set as recorded.
    /// </summary>
    private static PkiRestoreStep FixPermissions(Staged s, string modeText, Stack<(string, Action)> undo)
    {
        if (OperatingSystem.IsWindows())
            return new PkiRestoreStep(s.Record.Path, PkiRestoreAction.Unchanged, modeText, null);
        var oldMode = File.GetUnixFileMode(s.Destination);
        // Only root can give a file away, so only root compares owners.
        var oldUid = -1;
        var oldGid = -1;
        var ownerDiffers = UnixOwnership.IsRoot && UnixOwnership.TryGetOwner(s.Destination, out oldUid, out oldGid)
            && (oldUid != s.Record.Uid || oldGid != s.Record.Gid);
        if (oldMode == s.Mode && !ownerDiffers)
            return new PkiRestoreStep(s.Record.Path, PkiRestoreAction.Unchanged, modeText, null);
        undo.Push((s.Destination, () =>
        {
            File.SetUnixFileMode(s.Destination, oldMode);
            if (ownerDiffers && !UnixOwnership.TryChown(s.Destination, oldUid, oldGid))
                throw new IOException($"chown {s.Destination} back to {oldUid}:{oldGid} failed");
        }));
        File.SetUnixFileMode(s.Destination, s.Mode);
        if (ownerDiffers && !UnixOwnership.TryChown(s.Destination, s.Record.Uid, s.Record.Gid))
            throw new IOException($"chown to {s.Record.Uid}:{s.Record.Gid} failed");
        return new PkiRestoreStep(s.Record.Path, PkiRestoreAction.PermissionsFixed, modeText, null);
    }

    /// <summary>Undoes placed steps newest first; returns the paths it could not restore.</summary>
    private static List<string> RollBack(Stack<(string Path, Action Undo)> undo)
    {
        var failures = new List<string>();
        while (undo.Count > 0)
        {
            var (path, step) = undo.Pop();
            try
            {
                step();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                failures.Add(path);
            }
        }
        return failures;
    }

    private static void DiscardStaging(List<Staged> staged, List<string> createdDirectories)
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
