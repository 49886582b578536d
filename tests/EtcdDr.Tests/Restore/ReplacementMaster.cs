using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using EtcdDr.Restore;
using EtcdDr.Testing;
using EtcdDr.Tests.Topology.Runtimes;
using EtcdDr.Topology;
using EtcdDr.Topology.Runtimes;
using PkiVault.Age;
using PkiVault.Archive;

namespace EtcdDr.Tests.Restore;

/// <summary>
/// A lost Kubespray master-2 (was 10.0.0.12) and its replacement at 10.0.0.22 as `lab replace` leaves
/// it: the real <see cref="KubesprayHostRuntime"/> on a <see cref="RecordingRemoteHost"/> with the
/// replacement's own /etc/etcd.env for the new address, etcd.service stopped, an empty /var/lib/etcd,
/// no certificates. Its etcd listens where its env file says when it starts (as real etcd does), and
/// joins the cluster only when it listens on the peer URL it was added with. master-1 and master-3 are
/// the fake world's, healthy. The PKI archive is master-2's as `pki backup` took it before the loss:
/// the member certificates and the OLD /etc/etcd.env.
/// </summary>
public sealed partial class ReplacementMaster : IDisposable
{
    public const string Old = "10.0.0.12";
    public const string New = "10.0.0.22";
    private const string InitialCluster = "master-1=https://10.0.0.11:2380,master-2=https://10.0.0.12:2380,master-3=https://10.0.0.13:2380";

    private readonly TempDir _dir = new();
    private readonly X25519Identity _identity = X25519Identity.Generate();

    public RecordingRemoteHost Host { get; } = new("master-2");
    public SimulatedMaster Simulated { get; }
    public FakeRestoreWorld World { get; } = new(EtcdFlavor.Kubespray, "3.4.23");
    public ReplacementCluster Cluster { get; }
    public MasterTopology Topology { get; }
    public IReadOnlyDictionary<string, IEtcdRuntime> Runtimes { get; }
    public string Archive => _dir.File("pki-master-2.tar.age");

    public static string EnvFor(string address, string state = "new") => $"""
        # Environment file for etcd v3.4.23
        ETCD_DATA_DIR=/var/lib/etcd
        ETCD_ADVERTISE_CLIENT_URLS=https://{address}:2379
        ETCD_INITIAL_ADVERTISE_PEER_URLS=https://{address}:2380
        ETCD_INITIAL_CLUSTER_STATE={state}
        ETCD_LISTEN_CLIENT_URLS=https://{address}:2379,https://127.0.0.1:2379
        ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd
        ETCD_LISTEN_PEER_URLS=https://{address}:2380
        ETCD_NAME=master-2
        ETCD_INITIAL_CLUSTER={InitialCluster.Replace(Old, address, StringComparison.Ordinal)}
        ETCD_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
        ETCD_CERT_FILE=/etc/ssl/etcd/ssl/member-master-2.pem
        ETCD_KEY_FILE=/etc/ssl/etcd/ssl/member-master-2-key.pem
        ETCD_PEER_TRUSTED_CA_FILE=/etc/ssl/etcd/ssl/ca.pem
        ETCD_PEER_CERT_FILE=/etc/ssl/etcd/ssl/member-master-2.pem
        ETCD_PEER_KEY_FILE=/etc/ssl/etcd/ssl/member-master-2-key.pem
        ETCDCTL_ENDPOINTS=https://{address}:2379

        """;

    /// <param name="certificateCovers">The IP SANs of the archived member certificate.</param>
    public ReplacementMaster(params string[] certificateCovers)
    {
        Host.FileSystem.AddFile("/etc/etcd.env", EnvFor(New), "640", "root:etcd");
        Host.FileSystem.AddFile("/etc/systemd/system/etcd.service", "[Service]\nUser=etcd\nEnvironmentFile=/etc/etcd.env\nExecStart=/usr/local/bin/etcd\n");
        Host.FileSystem.AddDirectory("/var/lib/etcd", "700", "etcd:etcd");
        // etcd listens where the env file says at the moment it starts.
        Host.Handlers.Add(argv =>
        {
            if (argv is ["systemctl", "start", .., "etcd"])
                Simulated!.UnitListens["etcd"] = [.. ListenUrls(Host.FileSystem.Text("/etc/etcd.env"))];
            return null;
        });
        Simulated = new SimulatedMaster(Host);
        Simulated.Units["etcd"] = false;
        Simulated.Boot();

        Topology = new MasterTopology("master-2", EtcdFlavor.Kubespray, "/etc/etcd.env", "master-2", "/var/lib/etcd",
            [$"https://{New}:2380"], [$"https://{New}:2379"], InitialCluster.Replace(Old, New, StringComparison.Ordinal), "k8s_etcd",
            new EtcdCertPaths("/etc/ssl/etcd/ssl/ca.pem", "/etc/ssl/etcd/ssl/member-master-2.pem", "/etc/ssl/etcd/ssl/member-master-2-key.pem",
                "/etc/ssl/etcd/ssl/ca.pem", "/etc/ssl/etcd/ssl/member-master-2.pem", "/etc/ssl/etcd/ssl/member-master-2-key.pem"),
            "3.4.23", null, new EtcdTool("host", "/usr/local/bin/etcdctl"), EtcdTool.None, true, "active", [],
            ConfigText: EnvFor(New), UnitFile: "/etc/systemd/system/etcd.service", EtcdUser: "etcd");
        var runtimes = World.Runtimes.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal);
        runtimes["master-2"] = new KubesprayHostRuntime(Topology, Host, RuntimeMasters.Options());
        Runtimes = runtimes;
        foreach (var m in World.Masters.Values.Where(m => m.Topology.Host != "master-2"))
            m.Running = true;
        Cluster = new ReplacementCluster(World, Simulated);
        WriteArchive(certificateCovers.Length > 0 ? certificateCovers : [Old, New]);
    }

    public Func<Stream, Stream> Decrypt => s => AgeReader.Open(s, [_identity]);

    public IReadOnlyList<MasterTopology> Topologies => World.Topologies.Select(t => t.Host == "master-2" ? Topology : t).ToList();

    public RestoreRequest Request(RestoreStrategy strategy, SnapshotSource? snapshot = null) =>
        new(strategy, snapshot, strategy == RestoreStrategy.RepairMember ? "master-2" : null, new Dictionary<string, string> { ["master-2"] = New }, Archive, [], false,
            RestoreHarness.Stamp, HealthTimeoutSeconds: 5, CatchUpTimeoutSeconds: 5);

    public RestoreContext Context(RestorePlan plan) =>
        new(plan, Runtimes, Cluster, TimeProvider.System, Decrypt, TimeSpan.FromMilliseconds(1)) { GroupsInParallel = false };

    /// <summary>"host:port" of each ETCD_LISTEN_*_URLS entry.</summary>
    public static IEnumerable<string> ListenUrls(string env) =>
        ListenLine().Matches(env).SelectMany(m => m.Groups[1].Value.Split(',')).Select(u => new Uri(u.Trim())).Select(u => $"{u.Host}:{u.Port}");

    [GeneratedRegex(@"(?m)^ETCD_LISTEN_(?:CLIENT|PEER)_URLS=(.*)$")]
    private static partial Regex ListenLine();

    /// <summary>The transcript with what differs per run made stable: random temporary names of atomic
    /// writes, and the hashes of the certificates and keys this fixture makes afresh each time.</summary>
    public string Transcript() => StdinHash().Replace(TempName().Replace(Host.Transcript(), ".TMP.etcd-dr-tmp"), "< sha256:(per run)");

    [GeneratedRegex(@"\.[0-9a-f]{8}\.etcd-dr-tmp")]
    private static partial Regex TempName();

    [GeneratedRegex(@"< sha256:[0-9a-f]{12}")]
    private static partial Regex StdinHash();

    private void WriteArchive(string[] covers)
    {
        var root = _dir.File("pki-root");
        var ssl = Path.Combine(root, "etc/ssl/etcd/ssl");
        Directory.CreateDirectory(ssl);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=etcd-ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        using var ca = caRequest.CreateSelfSigned(notBefore, notBefore.AddYears(10));
        using var memberKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var memberRequest = new CertificateRequest("CN=etcd-member-master-2", memberKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("master-2");
        foreach (var ip in covers)
            san.AddIpAddress(IPAddress.Parse(ip));
        memberRequest.CertificateExtensions.Add(san.Build());
        memberRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var member = memberRequest.Create(ca, notBefore, notBefore.AddYears(1), [1, 2, 3, 4]);
        File.WriteAllText(Path.Combine(ssl, "ca.pem"), ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(ssl, "member-master-2.pem"), member.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(ssl, "member-master-2-key.pem"), memberKey.ExportPkcs8PrivateKeyPem() + "\n");
        File.SetUnixFileMode(Path.Combine(ssl, "member-master-2-key.pem"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        // The lost master's env file, as every Kubespray PKI backup holds it: the OLD address throughout.
        File.WriteAllText(Path.Combine(root, "etc/etcd.env"), EnvFor(Old, "existing"));
        PkiArchiveFile.WriteAsync(new LocalDirectorySource(root, PkiLayout.Kubespray), "kubespray", Archive, false, [_identity.Recipient], false,
            TimeProvider.System, _ => { }, default).GetAwaiter().GetResult();
    }

    public void Dispose() => _dir.Dispose();
}

/// <summary>
/// etcd's member API for <see cref="ReplacementMaster"/>: master-1 and master-3 healthy voters; master-2's
/// member joins (gets its name, can be promoted, answers health) only while the replacement's etcd
/// listens on the peer and client addresses its member entry names, as a real learner must to sync.
/// </summary>
public sealed class ReplacementCluster(FakeRestoreWorld world, SimulatedMaster replacement) : IRestoreCluster
{
    private bool Listens(string url)
    {
        var u = new Uri(url);
        return replacement.Units.GetValueOrDefault("etcd") && replacement.UnitListens.GetValueOrDefault("etcd", []).Contains($"{u.Host}:{u.Port}");
    }

    private void Join()
    {
        var i = world.Members.FindIndex(m => m.Name.Length == 0 && Listens(m.PeerUrls[0]));
        if (i >= 0)
            world.Members[i] = world.Members[i] with { Name = "master-2", ClientUrls = [$"https://{new Uri(world.Members[i].PeerUrls[0]).Host}:2379"] };
    }

    public Task<IReadOnlyList<ClusterMember>> MembersAsync(CancellationToken ct)
    {
        Join();
        return Task.FromResult<IReadOnlyList<ClusterMember>>(world.Members.ToList());
    }

    public Task<ClusterMember> AddLearnerAsync(string peerUrl, CancellationToken ct)
    {
        var m = new ClusterMember(world.NextId++, "", [peerUrl], [], true);
        world.Members.Add(m);
        world.Log("cluster", $"MemberAddLearner {peerUrl}");
        return Task.FromResult(m);
    }

    public Task RemoveAsync(ulong id, CancellationToken ct)
    {
        var m = world.Members.First(x => x.Id == id);
        world.Members.Remove(m);
        world.Log("cluster", $"MemberRemove {m.Name} {m.PeerUrls[0]}");
        return Task.CompletedTask;
    }

    public Task UpdatePeerUrlAsync(ulong id, string peerUrl, CancellationToken ct) => throw new NotSupportedException("no member update in a replacement");

    public Task<bool> TryPromoteAsync(ulong id, CancellationToken ct)
    {
        Join();
        var i = world.Members.FindIndex(x => x.Id == id);
        if (world.Members[i].Name.Length == 0)
            return Task.FromResult(false);
        world.Members[i] = world.Members[i] with { IsLearner = false };
        world.Log("cluster", $"MemberPromote {world.Members[i].Name}");
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<EndpointHealth>> HealthAsync(IReadOnlyList<string> clientUrls, CancellationToken ct)
    {
        Join();
        return Task.FromResult<IReadOnlyList<EndpointHealth>>(clientUrls.Select(url =>
        {
            var other = world.Masters.Values.FirstOrDefault(m => m.Topology.Host != "master-2" && m.Topology.ClientUrls.Contains(url));
            var healthy = other is not null ? other.Running
                : Listens(url) && world.Members.Any(m => m.Name == "master-2" && m.ClientUrls.Contains(url));
            return new EndpointHealth(url, healthy, healthy && other?.Topology.Host == "master-1", healthy ? 100 : 0, healthy ? null : "connection refused");
        }).ToList());
    }
}
