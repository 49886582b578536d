using System.Globalization;
using System.Net.Sockets;
using EtcdDr.IntegrationTests.Lab;
using EtcdDr.Lab;
using EtcdDr.Testing;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;

namespace EtcdDr.IntegrationTests.Runtimes;

/// <summary>
/// A whole single-member recovery through a flavor's runtime, on a one-master lab over real ssh:
/// stop the control plane and etcd, edit one setting, move the data dir aside, restore a snapshot
/// taken with `etcd-dr snapshot save`, start again, and the member serves the snapshot's data.
/// One master, because restoring one member of three with the cluster's existing initial-cluster
/// and a new token does not rejoin the other two (that is the restore's job, not a runtime's).
/// </summary>
public static class RuntimeLabScenario
{
    /// <param name="Transcript">Every command the runtime ran on the master, as RecordingRemoteHost renders it.</param>
    public sealed record Outcome(string Transcript, IEtcdRuntime Runtime);

    /// <param name="emptyDataDir">Leave an empty data dir (as an operator's mkdir or kubelet's DirectoryOrCreate
    /// would) for the restore to fill, instead of none.</param>
    public static async Task<Outcome> RunAsync(LabHarness lab, bool noHostEtcdctl, Func<MasterTopology, MasterTopology> adjust, string setting, string oldLine, string newLine,
        bool emptyDataDir = false)
    {
        string[] up = ["up", "--flavor", lab.Flavor.ToString().ToLowerInvariant(), "--masters", "1", "--net", lab.Net,
            "--ssh-port", LabHarness.SshPort.ToString(CultureInfo.InvariantCulture), "--timeout", "90", "--output", "json"];
        await lab.LabAsync(noHostEtcdctl ? [.. up, "--no-host-etcdctl"] : up);
        try
        {
            await lab.WaitHealthyAsync(1, 90);
            using (var client = lab.Client(1))
                await client.PutAsync("/dr/before", "in the snapshot", CancellationToken.None);

            var snapshotDir = Path.Combine(lab.State, "snapshots");
            Directory.CreateDirectory(snapshotDir);
            var snapshot = Path.Combine(snapshotDir, "snap.db");
            var (exit, stdout, stderr) = await LabHarness.CliAsync("snapshot", "save", "-i", lab.Paths.Inventory, "-o", snapshot);
            Assert.True(exit == 0, $"snapshot save exited {exit}\n{stdout}\n{stderr}");
            using (var client = lab.Client(1))
                await client.PutAsync("/dr/after", "not in the snapshot", CancellationToken.None);

            var inventory = InventoryLoader.Load(lab.Paths.Inventory);
            var tap = new TappedRemoteHostFactory(new OpenSshHostFactory(new SshOptions()));
            await using var cluster = new RemoteCluster(inventory, tap);
            var discovered = Assert.Single(await cluster.DiscoverAsync(CancellationToken.None));
            Assert.Null(discovered.Error);
            var topology = adjust(discovered.Topology!);
            var host = cluster.Host("master-1");
            var runtime = EtcdRuntimes.For(topology, host, new EtcdRuntimeOptions { PollInterval = TimeSpan.FromMilliseconds(500) });

            await runtime.StopControlPlaneAsync(CancellationToken.None);
            await runtime.StopEtcdAsync(CancellationToken.None);
            // Stopping again is a no-op that still ends stopped.
            await runtime.StopEtcdAsync(CancellationToken.None);
            Assert.False(await runtime.IsEtcdRunningAsync(CancellationToken.None));
            Assert.False(await ListensAsync(lab.Address(1), 2379), "client port still open");
            Assert.False(await ListensAsync(lab.Address(1), 2380), "peer port still open");
            await lab.WaitDownAsync(1);
            Assert.Equal("inactive", (await lab.SshAsync(1, "systemctl is-active kubelet")).Stdout.Trim());

            var before = await runtime.ReadConfigAsync(CancellationToken.None);
            var edited = runtime.EditConfig(before, new Dictionary<string, string?> { [setting] = NewValue(newLine) });
            await runtime.WriteConfigAsync(edited, CancellationToken.None);
            var after = await runtime.ReadConfigAsync(CancellationToken.None);
            Assert.Equal(before.Replace(oldLine + "\n", newLine + "\n", StringComparison.Ordinal), after);
            Assert.NotEqual(before, after);

            var aside = $"{topology.DataDir}.dr-test";
            await runtime.MoveDataDirAsideAsync(aside, CancellationToken.None);
            await runtime.MoveDataDirAsideAsync(aside, CancellationToken.None);
            Assert.Contains("member", await lab.SshOkAsync(1, $"ls {aside}"), StringComparison.Ordinal);
            if (emptyDataDir)
                await lab.SshOkAsync(1, $"mkdir -m 0700 {topology.DataDir}");

            var request = new SnapshotRestoreRequest(snapshot, topology.DataDir, topology.MemberName,
                $"{topology.MemberName}={topology.PeerUrls[0]}", topology.PeerUrls[0], "etcd-dr-runtime-test");
            await runtime.RestoreSnapshotAsync(request, CancellationToken.None);
            // Again, as a resumed run would: the restore is recognised as done.
            await runtime.RestoreSnapshotAsync(request, CancellationToken.None);

            await runtime.StartEtcdAsync(CancellationToken.None);
            await runtime.StartControlPlaneAsync(CancellationToken.None);
            await lab.WaitHealthyAsync(1, 90);
            using (var client = lab.Client(1))
            {
                Assert.Equal("in the snapshot", (await client.GetAsync("/dr/before", CancellationToken.None))!.Value.ToStringUtf8());
                Assert.Null(await client.GetAsync("/dr/after", CancellationToken.None));
                var member = Assert.Single((await client.MemberListAsync(CancellationToken.None)).Members);
                Assert.Equal(topology.MemberName, member.Name);
            }
            Assert.Equal("active", (await lab.SshAsync(1, "systemctl is-active kubelet")).Stdout.Trim());
            Assert.Equal(after, await runtime.ReadConfigAsync(CancellationToken.None));
            return new Outcome(tap.Hosts.Single().Transcript(), runtime);
        }
        finally
        {
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }
    }

    private static string NewValue(string line) => line[(line.LastIndexOf('=') + 1)..];

    public static async Task<bool> ListensAsync(string address, int port)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
