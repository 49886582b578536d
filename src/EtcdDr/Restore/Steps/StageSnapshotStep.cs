using EtcdDr.Remote;

namespace EtcdDr.Restore.Steps;

/// <summary>Copies the verified snapshot to the master and checks its SHA-256 THERE (sha256sum): a copy that
/// went wrong on the way is caught before anything on the master changes.</summary>
public sealed class StageSnapshotStep : IRestoreStep
{
    public StepKind Kind => StepKind.StageSnapshot;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var snapshot = context.Plan.Request.Snapshot;
        if (snapshot is null)
            return Task.FromResult<string?>("the plan has no snapshot to stage");
        if (!File.Exists(snapshot.LocalPath))
            return Task.FromResult<string?>($"the snapshot copy {snapshot.LocalPath} on this machine is gone; run the restore again from the original snapshot");
        return RestoreSteps.Fine;
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var snapshot = context.Plan.Request.Snapshot!;
        var host = context.Host(step.Host);
        var target = step.Path!;
        if (await Sha256Async(host, target, ct).ConfigureAwait(false) == snapshot.Sha256)
            return "already there with the right SHA-256";
        var dir = target[..target.LastIndexOf('/')];
        await host.Must(["install", "-d", "-m", "0700", dir], ct).ConfigureAwait(false);
        var temp = target + ".part";
        await host.StreamInAsync(["install", "-m", "0600", "/dev/stdin", temp], RemoteRunOptions.Root, async (stdin, token) =>
        {
            await using var file = new FileStream(snapshot.LocalPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
            await file.CopyToAsync(stdin, 1 << 20, token).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        await host.Must(["mv", "-f", "--", temp, target], ct).ConfigureAwait(false);
        return $"{snapshot.Size} bytes copied";
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var expected = context.Plan.Request.Snapshot!.Sha256;
        var actual = await Sha256Async(context.Host(step.Host), step.Path!, ct).ConfigureAwait(false);
        return actual == expected ? null : $"{step.Path} hashes to {actual ?? "(missing)"} on {step.Host}, expected {expected}: the copy is damaged";
    }

    /// <summary>sha256sum on the master; null when the file is not there.</summary>
    public static async Task<string?> Sha256Async(IRemoteHost host, string path, CancellationToken ct)
    {
        var result = await host.RunAsync(["sha256sum", "--", path], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.Stdout.Split(' ', 2)[0].Trim().ToLowerInvariant() : null;
    }
}
