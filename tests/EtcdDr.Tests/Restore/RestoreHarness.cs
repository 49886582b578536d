using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using EtcdDr.Cli.Restore;
using EtcdDr.Restore;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Restore;

/// <summary>Plans and runs restores against <see cref="FakeRestoreWorld"/>; golden files under Restore/Golden.</summary>
public static class RestoreHarness
{
    public const string Stamp = "20261206T020000Z";

    /// <summary>A small local "snapshot": only its bytes and hash matter to the steps.</summary>
    public static SnapshotSource Snapshot(TempDir dir)
    {
        var path = dir.File("snap.db");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return new SnapshotSource("/backups/prod.db.age", path, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)), 50, "3.5.12");
    }

    public static RestoreRequest Request(RestoreStrategy strategy, SnapshotSource? snapshot, string? member = null, bool force = false,
        IReadOnlyDictionary<string, string>? replace = null) =>
        new(strategy, snapshot, member, replace ?? new Dictionary<string, string>(), null, [], force, Stamp, HealthTimeoutSeconds: 5, CatchUpTimeoutSeconds: 5);

    /// <param name="sequential">Run groups in plan order, so the transcript is the same on every run.</param>
    public static RestoreContext Context(RestorePlan plan, FakeRestoreWorld world, IReadOnlySet<int>? begun = null, bool sequential = false) =>
        new(plan, world.Runtimes, world.Cluster, TimeProvider.System, PollInterval: TimeSpan.FromMilliseconds(1))
        {
            BegunBefore = begun ?? new HashSet<int>(),
            GroupsInParallel = !sequential,
        };

    public static string PlanText(RestorePlan plan, IReadOnlyList<PreflightCheck>? preflight = null)
    {
        var text = new StringWriter();
        RestoreRendering.WritePlan(text, plan, preflight);
        return text.ToString();
    }

    public static string GoldenPath(string name, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Golden", name + ".txt");

    /// <summary>Compares with the golden file; UPDATE_GOLDEN=1 rewrites it (review the diff before committing).</summary>
    public static void AssertGolden(string name, string actual)
    {
        var path = GoldenPath(name);
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }
        Assert.True(File.Exists(path), $"no golden file {path}; run with UPDATE_GOLDEN=1 and review it");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    public static FakeRestoreWorld WorldFor(RestoreStrategy strategy, EtcdFlavor flavor, string version = "3.5.12")
    {
        var world = new FakeRestoreWorld(flavor, version);
        return strategy switch
        {
            RestoreStrategy.FromMember => world.QuorumLost(),
            RestoreStrategy.RepairMember => RepairWorld(world.AllRunning()),
            _ => world.AllWiped(),
        };
    }

    /// <summary>master-2's data is corrupt: its etcd is down, the other two keep the quorum.</summary>
    private static FakeRestoreWorld RepairWorld(FakeRestoreWorld world)
    {
        world.Masters["master-2"].Running = false;
        return world;
    }
}
