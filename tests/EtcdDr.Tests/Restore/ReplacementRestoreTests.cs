using EtcdDr.Restore;
using EtcdDr.Restore.Steps;

namespace EtcdDr.Tests.Restore;

/// <summary>
/// Replacement masters (`--replace master-2=NEW --pki ARCHIVE`) as transcripts of the real Kubespray
/// runtime on a recording host: what is laid down, which file the edits go to, and where etcd listens.
/// </summary>
public class ReplacementRestoreTests
{
    [Fact]
    public async Task Restore_member_replace_with_pki_keeps_the_replacements_env_file_so_etcd_listens_and_joins_on_the_new_address()
    {
        using var m = new ReplacementMaster();
        var plan = RestorePlanner.Plan(m.Request(RestoreStrategy.RepairMember), m.Topologies, m.Runtimes);
        using var dir = new TempDir();
        await new RestoreRunner(m.Context(plan), RestoreJournal.Create(dir.File("j"), plan, TimeProvider.System)).RunAsync(0, default);

        Assert.True(RestoreJournal.Read(dir.File("j")).IsFinished);
        var env = m.Host.FileSystem.Text("/etc/etcd.env");
        // Every URL names the new address: the archive's env file (the lost master's) was not laid down.
        Assert.DoesNotContain(ReplacementMaster.Old, env, StringComparison.Ordinal);
        Assert.Contains($"ETCD_LISTEN_PEER_URLS=https://{ReplacementMaster.New}:2380\n", env, StringComparison.Ordinal);
        Assert.Contains($"ETCD_INITIAL_CLUSTER=master-1=https://10.0.0.11:2380,master-3=https://10.0.0.13:2380,master-2=https://{ReplacementMaster.New}:2380\n", env, StringComparison.Ordinal);
        Assert.Contains("ETCD_INITIAL_CLUSTER_STATE=existing\n", env, StringComparison.Ordinal);
        Assert.False(m.Host.FileSystem.Exists($"/etc/etcd.env.dr-{RestoreHarness.Stamp}"));
        Assert.Equal([$"{ReplacementMaster.New}:2379", "127.0.0.1:2379", $"{ReplacementMaster.New}:2380"], m.Simulated.UnitListens["etcd"]);
        // The member certificates the env file names are there, the key 0600 and etcd's.
        Assert.Equal("600", m.Host.FileSystem.Files["/etc/ssl/etcd/ssl/member-master-2-key.pem"].Mode);
        Assert.True(m.Host.FileSystem.IsFile("/etc/ssl/etcd/ssl/member-master-2.pem"));
        // etcd runs as User=etcd: it could not create /var/lib/etcd itself after the empty one went aside.
        Assert.Equal(("700", "etcd:etcd"), (m.Host.FileSystem.Directories["/var/lib/etcd"].Mode, m.Host.FileSystem.Directories["/var/lib/etcd"].Owner));
        Assert.True(m.Host.FileSystem.IsDirectory($"/var/lib/etcd.dr-{RestoreHarness.Stamp}"));
        Assert.Equal(["master-1", "master-2", "master-3"], m.World.Members.Select(x => x.Name).Order());
        Assert.Equal($"https://{ReplacementMaster.New}:2380", m.World.Members.Single(x => x.Name == "master-2").PeerUrls.Single());
        Assert.All(m.World.Members, x => Assert.False(x.IsLearner));

        var text = RestoreHarness.PlanText(plan) + "\n--- master-2 ---\n" + m.Transcript() + "--- cluster ---\n" + string.Join("\n", m.World.Transcript) + "\n";
        RestoreHarness.AssertGolden("replace-member-kubespray", text.Replace(m.Archive, "/backups/pki-master-2.tar.age", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Snapshot_all_with_a_replacement_restores_it_with_the_new_peer_url_and_starts_it_on_the_new_address()
    {
        using var m = new ReplacementMaster();
        using var dir = new TempDir();
        foreach (var other in m.World.Masters.Values)
            other.Running = false; // every member wiped
        m.Host.FileSystem.AddDirectory("/var/lib/etcd-dr");
        var snapshot = RestoreHarness.Snapshot(dir);
        var plan = RestorePlanner.Plan(m.Request(RestoreStrategy.SnapshotAll, snapshot), m.Topologies, m.Runtimes);

        var restore = plan.Steps.Single(s => s.Kind == StepKind.RestoreSnapshot && s.Host == "master-2").Restore!;
        Assert.Equal($"https://{ReplacementMaster.New}:2380", restore.InitialAdvertisePeerUrls);
        Assert.Contains($"master-2=https://{ReplacementMaster.New}:2380", restore.InitialCluster, StringComparison.Ordinal);
        var place = plan.Steps.Single(s => s.Kind == StepKind.PlacePki);
        Assert.Equal("master-2", place.Host);
        Assert.True(place.Index < plan.Steps.First(s => s.Kind == StepKind.StartEtcd).Index);
        Assert.Contains("/etc/etcd.env", place.Title, StringComparison.Ordinal);

        // Only master-2's steps here: lay the PKI down, then the env file edit, then etcd's start.
        var context = m.Context(plan);
        foreach (var step in plan.Steps.Where(s => s.Host == "master-2" && s.Kind is StepKind.PlacePki or StepKind.EditConfig or StepKind.StartEtcd))
        {
            var kind = RestoreSteps.For(step.Kind);
            Assert.Null(await kind.CheckBeforeAsync(step, context, default));
            await kind.RunAsync(step, context, default);
            Assert.Null(await kind.CheckAfterAsync(step, context, default));
        }
        var env = m.Host.FileSystem.Text("/etc/etcd.env");
        Assert.DoesNotContain(ReplacementMaster.Old, env, StringComparison.Ordinal);
        Assert.Contains($"{ReplacementMaster.New}:2380", m.Simulated.UnitListens["etcd"]);
    }

    [Fact]
    public async Task A_pki_archive_whose_member_certificate_does_not_cover_the_new_address_is_refused_before_anything_is_placed()
    {
        using var m = new ReplacementMaster(ReplacementMaster.Old);
        var plan = RestorePlanner.Plan(m.Request(RestoreStrategy.RepairMember), m.Topologies, m.Runtimes);
        var before = m.Host.FileSystem.Describe();
        using var dir = new TempDir();
        var ex = await Assert.ThrowsAnyAsync<DrException>(() =>
            new RestoreRunner(m.Context(plan), RestoreJournal.Create(dir.File("j"), plan, TimeProvider.System)).RunAsync(0, default));
        Assert.Contains($"do not cover the new address {ReplacementMaster.New}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/etc/ssl/etcd/ssl/member-master-2.pem covers 10.0.0.12", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, m.Host.FileSystem.Describe());
        Assert.Empty(m.World.Transcript); // no member removed
    }
}
