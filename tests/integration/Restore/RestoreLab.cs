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

    /// <summary>Lines of a config file that changed, which must each name one of <paramref name="settings"/>.</summary>
    public static void AssertOnlySettingsChanged(string before, string after, IReadOnlyCollection<string> settings, string what)
    {
        var oldLines = before.Split('\n').ToList();
        var newLines = after.Split('\n').ToList();
        var changed = oldLines.Except(newLines).Concat(newLines.Except(oldLines)).ToList();
        var stray = changed.Where(l => !settings.Any(s => l.Contains($"--{s}=", StringComparison.Ordinal)
            || l.TrimStart().StartsWith($"ETCD_{s.Replace('-', '_').ToUpperInvariant()}=", StringComparison.Ordinal))).ToList();
        Assert.True(stray.Count == 0, $"{what}: lines changed that the plan did not name: {string.Join(" | ", stray)}");
    }

    /// <summary>The settings the journal's plan named in its config edits.</summary>
    public static IReadOnlyCollection<string> NamedSettings(string runJson)
    {
        using var doc = JsonDocument.Parse(runJson);
        var journal = doc.RootElement.GetProperty("journal").GetString()!;
        var plan = EtcdDr.Restore.RestoreJournal.Read(journal).Plan;
        return plan.Steps.Where(s => s.Settings is not null).SelectMany(s => s.Settings!.Keys).ToHashSet(StringComparer.Ordinal);
    }

    public static void AssertExit(int expected, (int Exit, string Stdout, string Stderr) result, string what) =>
        Assert.True(result.Exit == expected, $"{what}: exit {result.Exit}, expected {expected}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");

    public async ValueTask DisposeAsync()
    {
        await LabHarness.CliAsync("lab", "down", "--state", Lab.State);
        _scratch.Dispose();
    }
}
