using System.Security.Cryptography;
using EtcdDr.Remote;
using PkiVault.Archive;

namespace EtcdDr.Restore.Steps;

/// <summary>
/// --pki ARCHIVE on a replaced master: every file of the encrypted PKI archive (checked against its
/// manifest while reading) placed before etcd starts there. An identical file is left alone; a
/// differing one is moved aside to PATH.dr-STAMP, never overwritten; keys are written 0600.
/// </summary>
public sealed class PlacePkiStep : IRestoreStep
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public StepKind Kind => StepKind.PlacePki;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var archive = context.Plan.Request.PkiArchive;
        if (archive is null || !File.Exists(archive))
            return Task.FromResult<string?>($"the PKI archive {archive} is not on this machine");
        return Task.FromResult<string?>(context.Decrypt is null ? "the PKI archive is encrypted: give --identity KEY" : null);
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var files = await ReadAsync(context, ct).ConfigureAwait(false);
        var host = context.Host(step.Host);
        int placed = 0, same = 0, movedAside = 0;
        foreach (var file in files)
        {
            var path = "/" + file.Record.Path.TrimStart('/');
            var wanted = Convert.ToHexStringLower(SHA256.HashData(file.Data));
            var there = await StageSnapshotStep.Sha256Async(host, path, ct).ConfigureAwait(false);
            if (there == wanted)
            {
                same++;
                continue;
            }
            if (there is not null)
            {
                await host.Must(["mv", "--", path, $"{path}.dr-{context.Plan.Request.Stamp}"], ct).ConfigureAwait(false);
                movedAside++;
            }
            var mode = file.Record.ContainsSecret ? OwnerOnly : PkiManifestBuilder.ParseMode(file.Record.Mode, file.Record.Path);
            await host.Must(["install", "-d", "-m", "0755", path[..path.LastIndexOf('/')]], ct).ConfigureAwait(false);
            await host.WriteFileAsync(path, file.Data, mode, $"{file.Record.Uid}:{file.Record.Gid}", ct).ConfigureAwait(false);
            placed++;
        }
        return $"{placed} placed, {same} already identical, {movedAside} differing moved aside to *.dr-{context.Plan.Request.Stamp}";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var host = context.Host(step.Host);
        foreach (var file in await ReadAsync(context, ct).ConfigureAwait(false))
        {
            var path = "/" + file.Record.Path.TrimStart('/');
            if (await StageSnapshotStep.Sha256Async(host, path, ct).ConfigureAwait(false) != Convert.ToHexStringLower(SHA256.HashData(file.Data)))
                return $"{path} does not hold the archived content after placing";
        }
        return null;
    }

    private static async Task<List<PkiArchivedFile>> ReadAsync(RestoreContext context, CancellationToken ct)
    {
        var files = new List<PkiArchivedFile>();
        await using var encrypted = File.OpenRead(context.Plan.Request.PkiArchive!);
        await using var tar = context.Decrypt!(encrypted);
        // Every file is checked against the manifest before any is placed.
        await PkiArchiveReader.ReadAsync(tar, null, f =>
        {
            files.Add(f);
            return Task.CompletedTask;
        }, ct).ConfigureAwait(false);
        return files;
    }
}
