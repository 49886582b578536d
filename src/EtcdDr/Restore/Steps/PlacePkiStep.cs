using System.Security.Cryptography;
using EtcdDr.Remote;
using PkiVault.Archive;

namespace EtcdDr.Restore.Steps;

/// <summary>
/// --pki ARCHIVE on a replaced master: every file of the encrypted PKI archive (checked against its
/// manifest while reading) placed before etcd starts there. An identical file is left alone; a
/// differing one is moved aside to PATH.dr-STAMP, never overwritten; keys are written 0600.
/// The replacement's own etcd config (Kubespray's /etc/etcd.env is in every Kubespray PKI archive)
/// is never replaced by the archive's: the archived one is the lost master's and names its OLD
/// address (listen and advertise URLs, ETCDCTL_ENDPOINTS), while the plan's edits were made from the
/// replacement's file. Laying the old one down left etcd listening on the old address.
/// </summary>
public sealed class PlacePkiStep : IRestoreStep
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public StepKind Kind => StepKind.PlacePki;

    public async Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var archive = context.Plan.Request.PkiArchive;
        if (archive is null || !File.Exists(archive))
            return $"the PKI archive {archive} is not on this machine";
        if (context.Decrypt is null)
            return "the PKI archive is encrypted: give --identity KEY";
        if (!context.Plan.Request.Replacements.TryGetValue(step.Host, out var address))
            return null;
        return UncoveredAddress(await ReadAsync(context, ct).ConfigureAwait(false), context.Runtime(step.Host).Topology, address);
    }

    /// <summary>
    /// The member's server and peer certificates (the paths the replacement's config names) must cover
    /// the new address, or its peers refuse the TLS handshake and etcd never joins. kubeadm's are
    /// issued per node for its IP; checked before anything is placed.
    /// </summary>
    public static string? UncoveredAddress(IReadOnlyList<PkiArchivedFile> files, EtcdDr.Topology.MasterTopology topology, string address)
    {
        var problems = new List<string>();
        foreach (var certPath in new[] { topology.Certs.ServerCert, topology.Certs.PeerCert }.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            var file = files.FirstOrDefault(f => "/" + f.Record.Path.TrimStart('/') == certPath);
            var leaf = file?.Record.Certificates?.FirstOrDefault(c => !c.IsCa);
            if (leaf is null)
                continue; // not in the archive: whatever the replacement has stays, and etcd's own start says more
            var ips = leaf.SubjectAltNames.Where(n => n.StartsWith("IP:", StringComparison.Ordinal)).Select(n => n[3..]).ToList();
            if (ips.Count > 0 && !ips.Contains(address, StringComparer.OrdinalIgnoreCase) && !leaf.SubjectAltNames.Contains("DNS:" + address, StringComparer.OrdinalIgnoreCase))
                problems.Add($"{certPath} covers {string.Join(", ", ips)}");
        }
        return problems.Count == 0 ? null
            : $"the archived member certificates do not cover the new address {address}, so the peers would refuse them ({string.Join("; ", problems)}): " +
              $"lay the archive down with `etcd-dr pki restore`, issue a server and peer certificate for {address} from the same CA there " +
              "(kubeadm: move etcd/server.* and etcd/peer.* aside, then `kubeadm init phase certs etcd-server` and `etcd-peer`), and run again without --pki";
    }

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var files = await ReadAsync(context, ct).ConfigureAwait(false);
        var host = context.Host(step.Host);
        var topology = context.Runtime(step.Host).Topology;
        var kept = files.Select(PathOf).Where(p => IsHostsOwnConfig(p, topology)).ToList();
        var wanted = files.Where(f => !IsHostsOwnConfig(PathOf(f), topology)).ToList();
        // Few commands, not a handful per file: each is an SSH round trip, seconds apiece on a loaded machine.
        var there = await HashesAsync(host, wanted.Select(PathOf).ToList(), ct).ConfigureAwait(false);
        var toPlace = wanted.Where(f => there.GetValueOrDefault(PathOf(f)) != Hash(f)).ToList();
        var movedAside = 0;
        foreach (var file in toPlace.Where(f => there.ContainsKey(PathOf(f))))
        {
            await host.Must(["mv", "--", PathOf(file), $"{PathOf(file)}.dr-{context.Plan.Request.Stamp}"], ct).ConfigureAwait(false);
            movedAside++;
        }
        var directories = toPlace.Select(f => PathOf(f)[..PathOf(f).LastIndexOf('/')]).Distinct(StringComparer.Ordinal).ToList();
        if (directories.Count > 0)
            await host.Must(["install", "-d", "-m", "0755", .. directories], ct).ConfigureAwait(false);
        foreach (var file in toPlace)
        {
            // Written under a temporary name with its final mode and owner, then renamed: never half a key under the real name.
            var path = PathOf(file);
            var mode = file.Record.ContainsSecret ? OwnerOnly : PkiManifestBuilder.ParseMode(file.Record.Mode, file.Record.Path);
            var temp = $"{path}.{context.Plan.Request.Stamp}.etcd-dr-tmp";
            await host.StreamInAsync(["install", "-m", Convert.ToString((int)mode, 8).PadLeft(4, '0'), "-o", $"{file.Record.Uid}", "-g", $"{file.Record.Gid}", "/dev/stdin", temp],
                RemoteRunOptions.Root, (stdin, token) => stdin.WriteAsync(file.Data, token).AsTask(), ct).ConfigureAwait(false);
            await host.Must(["mv", "-f", "--", temp, path], ct).ConfigureAwait(false);
        }
        return $"{toPlace.Count} placed, {wanted.Count - toPlace.Count} already identical, {movedAside} differing moved aside to *.dr-{context.Plan.Request.Stamp}"
            + (kept.Count > 0 ? $"; kept the replacement's own {string.Join(", ", kept)} (the archive's names the lost master's address)" : "");
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var host = context.Host(step.Host);
        var topology = context.Runtime(step.Host).Topology;
        var wanted = (await ReadAsync(context, ct).ConfigureAwait(false)).Where(f => !IsHostsOwnConfig(PathOf(f), topology)).ToList();
        var there = await HashesAsync(host, wanted.Select(PathOf).ToList(), ct).ConfigureAwait(false);
        return wanted.FirstOrDefault(f => there.GetValueOrDefault(PathOf(f)) != Hash(f)) is { } wrong ? $"{PathOf(wrong)} does not hold the archived content after placing" : null;
    }

    private static string PathOf(PkiArchivedFile file) => "/" + file.Record.Path.TrimStart('/');

    private static string Hash(PkiArchivedFile file) => Convert.ToHexStringLower(SHA256.HashData(file.Data));

    /// <summary>SHA-256 of each path that exists, in one `sha256sum` (it exits 1 when some are missing and still hashes the rest).</summary>
    private static async Task<Dictionary<string, string>> HashesAsync(IRemoteHost host, IReadOnlyList<string> paths, CancellationToken ct)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (paths.Count == 0)
            return result;
        var run = await host.RunAsync(["sha256sum", "--", .. paths], RemoteRunOptions.Root, ct).ConfigureAwait(false);
        foreach (var line in run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length == 2 && paths.Contains(parts[1], StringComparer.Ordinal))
                result[parts[1]] = parts[0].Trim().ToLowerInvariant();
        }
        return result;
    }

    /// <summary>The file etcd is configured by (env file, manifest) or its unit: the replacement's, never the archive's.</summary>
    public static bool IsHostsOwnConfig(string path, EtcdDr.Topology.MasterTopology topology) =>
        string.Equals(path, topology.ConfigFile, StringComparison.Ordinal) || string.Equals(path, topology.UnitFile, StringComparison.Ordinal);

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
