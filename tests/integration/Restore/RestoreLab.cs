using System.Security.Cryptography;
using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Restore;

/// <summary>
/// One lab per test (its own loopback /24 from <see cref="TestNets"/>, state folder and restore state
/// folder), driven like an operator drives it: `etcd-dr lab ...`, `etcd-dr snapshot save`, `etcd-dr
/// restore ...`, real ssh, and the etcd client for keys.
/// </summary>
public sealed class RestoreLab : IAsyncDisposable
{
    private readonly TempDirectory _scratch;

    private RestoreLab(LabHarness lab, TempDirectory scratch)
    {
        Lab = lab;
        _scratch = scratch;
    }

    public LabHarness Lab { get; }
    public string Inventory => Lab.Paths.Inventory;
    public string StateDir => _scratch.Combine("restore-state");
    public string File(string name) => _scratch.Combine(name);

    public static async Task<RestoreLab> UpAsync(LabFlavor flavor, int net, string purpose)
    {
        purpose += "-" + flavor.ToString().ToLowerInvariant();
        var lab = new LabHarness(LabHarness.NewStateDirectory("restore-" + purpose), TestNets.Net(net), flavor);
        var scratch = TempDirectory.Create("restore-" + purpose);
        var restoreLab = new RestoreLab(lab, scratch);
        try
        {
            await lab.UpAsync();
        }
        catch
        {
            await restoreLab.DisposeAsync();
            throw;
        }
        return restoreLab;
    }

    public Task<(int Exit, string Stdout, string Stderr)> CliAsync(params string[] args) => LabHarness.CliAsync(args);

    public async Task<(int Exit, string Stdout, string Stderr)> RestoreAsync(params string[] args) =>
        await LabHarness.CliAsync(["restore", .. args, "-i", Inventory, "--state-dir", StateDir, "--output", "json"]);

    public async Task PutAsync(string key, string value, params int[] masters)
    {
        using var client = Lab.Client(masters);
        await client.PutAsync(key, value, CancellationToken.None);
    }

    public async Task<string?> GetAsync(string key, params int[] masters)
    {
        using var client = Lab.Client(masters);
        return (await client.GetAsync(key, CancellationToken.None))?.Value.ToStringUtf8();
    }

    public async Task<IReadOnlyList<(string Name, string PeerUrl, bool Learner)>> MembersAsync()
    {
        using var client = Lab.Client();
        var list = await client.MemberListAsync(CancellationToken.None);
        return list.Members.Select(m => (m.Name, m.PeerURLs.Single(), m.IsLearner)).OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
    }

    public async Task SnapshotAsync(string file, params string[] extra)
    {
        var (exit, stdout, stderr) = await CliAsync(["snapshot", "save", "-i", Inventory, "-o", file, .. extra]);
        Assert.True(exit == 0, $"snapshot save exited {exit}\n{stdout}\n{stderr}");
    }

    public Task BreakAsync(string kind, int master) => Lab.LabAsync("break", kind, "--host", $"master-{master}");

    /// <summary>SHA-256 of every file under each master's overlay upper dirs (what the master's /etc, /usr/local
    /// and /var/lib hold beyond the host's), keyed by path: the "byte-for-byte unchanged" check.
    /// <paramref name="skipLiveEtcd"/> leaves out a running member's own data dir, which etcd itself writes.</summary>
    public IReadOnlyDictionary<string, string> HashMasters(bool skipLiveEtcd = false)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i <= Lab.MasterCount; i++)
        {
            var upper = Path.Combine(Lab.Paths.Master($"master-{i}").Root, "upper");
            foreach (var path in Directory.EnumerateFileSystemEntries(upper, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(upper, path);
                if (skipLiveEtcd && relative.StartsWith("var-lib/etcd/", StringComparison.Ordinal))
                    continue;
                var info = new FileInfo(path);
                result[$"master-{i}/{relative}"] = info.Attributes.HasFlag(FileAttributes.Directory) ? "dir"
                    : info.LinkTarget is { } target ? "link:" + target
                    : Convert.ToHexStringLower(SHA256.HashData(System.IO.File.ReadAllBytes(path)));
            }
        }
        return result;
    }

    public static void AssertUnchanged(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after, string what)
    {
        var changed = before.Keys.Union(after.Keys).Where(k => before.GetValueOrDefault(k) != after.GetValueOrDefault(k)).ToList();
        Assert.True(changed.Count == 0, $"{what} changed files on the masters: {string.Join(", ", changed.Take(20))}");
    }

    public async Task<string> CatAsync(int master, string path) => await Lab.SshOkAsync(master, $"cat {path}");

    /// <summary>Where etcd's configuration lives on this flavor's masters (the kubeadm manifest live, as after a restore).</summary>
    public string ConfigFile => Lab.Flavor == LabFlavor.Kubeadm ? "/etc/kubernetes/manifests/etcd.yaml" : "/etc/etcd.env";

    /// <summary>Each master's etcd config file, and on kubeadm its other static pod manifests too (which a restore parks
    /// and puts back, and must leave byte-for-byte as they were), keyed "master-N:path".</summary>
    public async Task<IReadOnlyDictionary<string, string>> ConfigsAsync()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var paths = Lab.Flavor == LabFlavor.Kubeadm
            ? new[] { ConfigFile, "/etc/kubernetes/manifests/kube-apiserver.yaml", "/etc/kubernetes/manifests/kube-controller-manager.yaml", "/etc/kubernetes/manifests/kube-scheduler.yaml" }
            : [ConfigFile];
        for (var i = 1; i <= Lab.MasterCount; i++)
            foreach (var path in paths)
                files[$"master-{i}:{path}"] = await CatAsync(i, path);
        return files;
    }

    /// <summary>
    /// Issue 9's "the kubeadm manifest and the Kubespray env file after a restore differ from before only in the flags
    /// or variables the plan named", against the plan in the run's journal: per master, every changed line names a
    /// setting the plan's config edits for THAT master named, each such setting ends with the value the plan's last
    /// edit gave it (absent when that edit removed it), and a file the plan never edited is byte-for-byte the same.
    /// </summary>
    public static void AssertConfigsFollowThePlan(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after, EtcdDr.Restore.RestorePlan plan)
    {
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (key, old) in before)
        {
            var host = key[..key.IndexOf(':', StringComparison.Ordinal)];
            var path = key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..];
            var now = after[key];
            var final = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var step in plan.Steps.Where(s => s.Kind == EtcdDr.Restore.StepKind.EditConfig && s.Host == host && plan.Topology.First(t => t.Host == host).ConfigFile == path))
                foreach (var (setting, value) in step.Settings!)
                    final[setting] = value;
            if (final.Count == 0)
            {
                Assert.True(old == now, $"{key}: the plan edits nothing there, yet the file changed:\n--- before\n{old}\n--- after\n{now}");
                continue;
            }
            var oldLines = old.Split('\n').ToList();
            var newLines = now.Split('\n').ToList();
            var changed = oldLines.Except(newLines).Concat(newLines.Except(oldLines)).ToList();
            var stray = changed.Where(l => !final.Keys.Any(s => Names(l, s))).ToList();
            Assert.True(stray.Count == 0, $"{key}: lines changed that the plan did not name for {host}: {string.Join(" | ", stray)}");
            foreach (var (setting, value) in final)
            {
                var lines = newLines.Where(l => Names(l, setting)).Select(l => l.Trim()).ToList();
                if (value is null)
                    Assert.True(lines.Count == 0, $"{key}: the plan removed {setting}, the file still says {string.Join(" | ", lines)}");
                else
                    Assert.True(lines.Count == 1 && (lines[0] == $"- --{setting}={value}" || lines[0] == $"{EnvName(setting)}={value}"),
                        $"{key}: the plan set {setting}={value}, the file says {string.Join(" | ", lines)}");
            }
        }
    }

    private static string EnvName(string setting) => "ETCD_" + setting.Replace('-', '_').ToUpperInvariant();

    private static bool Names(string line, string setting) =>
        line.Contains($"--{setting}=", StringComparison.Ordinal) || line.TrimStart().StartsWith(EnvName(setting) + "=", StringComparison.Ordinal);

    /// <summary>The plan as the run's journal holds it.</summary>
    public static EtcdDr.Restore.RestorePlan PlanOf(string runJson)
    {
        using var doc = JsonDocument.Parse(runJson);
        return EtcdDr.Restore.RestoreJournal.Read(doc.RootElement.GetProperty("journal").GetString()!).Plan;
    }

    /// <summary>The hashes cover what a refusal must not touch: each master's data dir, etcd config and PKI.</summary>
    public void AssertHashesCover(IReadOnlyDictionary<string, string> hashes, bool dataDir)
    {
        var wanted = Lab.Flavor == LabFlavor.Kubeadm
            ? new[] { "etc/kubernetes/manifests/kube-apiserver.yaml", "etc/kubernetes/pki/etcd/ca.crt", "etc/kubernetes/pki/etcd/server.key" }
            : ["etc/etcd.env", "etc/ssl/etcd/ssl/ca.pem"];
        for (var i = 1; i <= Lab.MasterCount; i++)
        {
            foreach (var file in wanted)
                Assert.True(hashes.ContainsKey($"master-{i}/{file}"), $"the before/after hashes miss master-{i}/{file}");
            if (dataDir)
                Assert.True(hashes.Keys.Any(k => k.StartsWith($"master-{i}/var-lib/etcd", StringComparison.Ordinal)), $"the hashes miss master-{i}'s data");
        }
    }

    /// <summary>The master whose etcd still runs after lose-quorum (from `lab status`).</summary>
    public async Task<int> SurvivorAsync()
    {
        // `lab status` exits 6 (partial) while masters are down, which is the point here.
        var (exit, stdout, stderr) = await CliAsync("lab", "status", "--state", Lab.State, "--output", "json");
        Assert.True(exit is 0 or 6, $"lab status exited {exit}\n{stdout}\n{stderr}");
        using var status = JsonDocument.Parse(stdout);
        var masters = status.RootElement.GetProperty("masters").EnumerateArray().ToList();
        var running = masters.Where(m => m.GetProperty("etcd").GetString()!.StartsWith("running", StringComparison.Ordinal)).Select(m => m.GetProperty("name").GetString()!).ToList();
        Assert.True(running.Count == 1, $"expected one running etcd after lose-quorum, found [{string.Join(", ", running)}]");
        return int.Parse(running[0]["master-".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary><see cref="AssertExit"/>, and when it fails the tail of every master's etcd log, which `lab down` then deletes.</summary>
    public void AssertRunExit(int expected, (int Exit, string Stdout, string Stderr) result, string what)
    {
        if (result.Exit == expected)
            return;
        var logs = new System.Text.StringBuilder();
        for (var i = 1; i <= Lab.MasterCount; i++)
        {
            var log = Path.Combine(Lab.Paths.Master($"master-{i}").Root, "log", "etcd.log");
            var tail = System.IO.File.Exists(log) ? System.IO.File.ReadLines(log).TakeLast(15) : ["(no etcd.log)"];
            logs.Append($"\n--- master-{i} etcd.log (last 15 lines)\n").AppendJoin('\n', tail);
        }
        Assert.Fail($"{what}: exit {result.Exit}, expected {expected}\nstdout: {result.Stdout}\nstderr: {result.Stderr}{logs}");
    }

    public static void AssertExit(int expected, (int Exit, string Stdout, string Stderr) result, string what) =>
        Assert.True(result.Exit == expected, $"{what}: exit {result.Exit}, expected {expected}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");

    public async ValueTask DisposeAsync()
    {
        await LabHarness.CliAsync("lab", "down", "--state", Lab.State);
        _scratch.Dispose();
    }
}
