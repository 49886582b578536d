using System.Net;
using System.Net.Sockets;
using EtcdDr.Remote;
using EtcdDr.Testing;
using EtcdDr.Tests.Topology;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Remote;

public class RemoteClusterTests
{
    private static MasterTopology Topology(string host, params string[] clientUrls) => new(
        host, EtcdFlavor.Kubespray, "/etc/etcd.env", host, "/var/lib/etcd", [$"http://{host}:2380"], clientUrls,
        null, null, new EtcdCertPaths(), "3.5.9", null, EtcdTool.None, EtcdTool.None, false, null, []);

    [Fact]
    public void The_inventorys_etcd_client_url_overrides_the_advertised_one()
    {
        var advertised = new DiscoveredMaster(new MasterHost("cp-1", "10.0.0.1"), Topology("10.0.0.1", "https://10.0.0.1:2379", "https://127.0.0.1:2379"), null);
        Assert.Equal(new Uri("https://10.0.0.1:2379"), RemoteCluster.ClientUrl(advertised));

        var overridden = advertised with { Master = advertised.Master with { EtcdClientUrl = "https://etcd-1.example.net:32379" } };
        Assert.Equal(new Uri("https://etcd-1.example.net:32379"), RemoteCluster.ClientUrl(overridden));

        // An override also serves a member whose config names no client URL at all.
        var none = new DiscoveredMaster(new MasterHost("cp-2", "10.0.0.2", EtcdClientUrl: "https://10.9.9.2:2379"), Topology("10.0.0.2"), null);
        Assert.Equal(new Uri("https://10.9.9.2:2379"), RemoteCluster.ClientUrl(none));

        var bad = none with { Master = none.Master with { EtcdClientUrl = "10.9.9.2:2379" } };
        Assert.Equal(FailureKind.Usage, Assert.Throws<DrException>(() => RemoteCluster.ClientUrl(bad)).Kind);
    }

    [Fact]
    public async Task Etcd_connection_dials_the_override_not_the_advertised_url()
    {
        // The advertised address is one this machine cannot reach (TEST-NET-1); the override is a
        // live listener. Reaching the listener directly, without a tunnel, proves the override is used.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var master = new MasterHost("cp-1", "192.0.2.1", EtcdClientUrl: $"http://127.0.0.1:{port}");
        var inventory = new Inventory("t", new SshSettings(ConfigFile: "/dev/null"), [master]);
        await using var cluster = new RemoteCluster(inventory, new SshOptions());
        using var log = new StringWriter();
        var options = await cluster.EtcdConnectionAsync([new DiscoveredMaster(master, Topology("192.0.2.1", "http://192.0.2.1:2379"), null)], forceTunnel: false, log, default);
        Assert.Equal([new Uri($"http://127.0.0.1:{port}")], options.Endpoints);
        Assert.Empty(options.ConnectVia!);
        Assert.DoesNotContain("tunnel", log.ToString());
    }

    private sealed class ThrowingHost(string name, Exception error) : IRemoteHost
    {
        public string Name => name;
        public Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct) => Task.FromException<ProcessResult>(error);
        public Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct) => Task.FromException(error);
        public Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct) => Task.FromException(error);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task One_master_timing_out_or_failing_does_not_stop_the_others_being_discovered()
    {
        var good = new FakeRemoteHost("cp-1");
        good.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest;
        var found = await RemoteCluster.DiscoverAsync(
        [
            (new MasterHost("cp-1", "10.0.0.1"), good),
            (new MasterHost("cp-2", "10.0.0.2"), new ThrowingHost("cp-2", new TimeoutException("ssh ... did not finish within 600 s and was killed.\nexit code -1"))),
            (new MasterHost("cp-3", "10.0.0.3"), new ThrowingHost("cp-3", new RemoteException("cp-3", RemoteFailure.Unreachable, "cannot reach the host over SSH: Connection refused"))),
            (new MasterHost("cp-4", "10.0.0.4"), new ThrowingHost("cp-4", new IOException("broken pipe"))),
        ], default);

        Assert.Equal(["cp-1", "cp-2", "cp-3", "cp-4"], found.Select(f => f.Master.Name));
        Assert.NotNull(found[0].Topology);
        Assert.Null(found[0].Error);
        Assert.Equal(FailureKind.Unreachable, found[1].Error!.Kind);
        Assert.Equal("cp-2: ssh ... did not finish within 600 s and was killed.", found[1].Error!.Message);
        Assert.Equal(RemoteFailure.Unreachable, Assert.IsType<RemoteException>(found[2].Error).Failure);
        Assert.StartsWith("cp-4: unexpected IOException during discovery: broken pipe", found[3].Error!.Message);
    }

    [Fact]
    public async Task Cancellation_still_stops_discovery()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RemoteCluster.DiscoverAsync(
            [(new MasterHost("cp-1", "10.0.0.1"), new ThrowingHost("cp-1", new OperationCanceledException(cts.Token)))], cts.Token));
    }
}
