using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Snapshots;

/// <summary>
/// Every bad input of `snapshot save` against a real TLS etcd: one line naming the cause, a
/// non-zero exit code, and nothing at the output path that looks like a good snapshot.
/// </summary>
public sealed class SnapshotBadInputTests(ThreeMemberTlsClusterFixture fixture) : IClassFixture<ThreeMemberTlsClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;
    private EtcdClientCertificatePaths Certs => Cluster.ClientCertPaths!;

    private static async Task<CliRunner.CliResult> Save(string path, string endpoints, string? ca, string? cert, string? key, params string[] extra)
    {
        List<string> args = ["snapshot", "save", "--endpoints", endpoints, "-o", path, "--dial-timeout", "3"];
        if (ca is not null) args.AddRange(["--cacert", ca]);
        if (cert is not null) args.AddRange(["--cert", cert]);
        if (key is not null) args.AddRange(["--key", key]);
        return await CliRunner.RunAsync([.. args, .. extra]);
    }

    private static void AssertNoSnapshotAt(string path)
    {
        Assert.False(File.Exists(path), $"{path} exists");
        Assert.False(File.Exists(path + ".part"), $"{path}.part exists");
        Assert.False(File.Exists(path + ".manifest.json"), "manifest exists");
    }

    private static void AssertOneLineError(CliRunner.CliResult result, int code, string expected)
    {
        Assert.True(result.ExitCode == code, result.ToString());
        Assert.Contains(expected, result.Stderr);
        Assert.StartsWith("etcd-dr: ", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Unreachable_endpoints()
    {
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        var port = LoopbackAddresses.FreePort(System.Net.IPAddress.Loopback);
        var result = await Save(path, $"https://127.0.0.1:{port}", Certs.CaFile, Certs.CertFile, Certs.KeyFile);
        AssertOneLineError(result, 4, "connection refused");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task Wrong_ca()
    {
        using var dir = TempDirectory.Create();
        using var other = LabCertificateAuthority.Create("some other CA");
        var otherCa = other.Certificate.WriteFilesInto(dir.Path, "other-ca").CertificateFile;
        var path = dir.Combine("s.db");
        var result = await Save(path, Cluster.Endpoints[0], otherCa, Certs.CertFile, Certs.KeyFile);
        AssertOneLineError(result, 4, "does not chain to the given CA");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task Expired_client_certificate()
    {
        using var dir = TempDirectory.Create();
        var expired = Cluster.Pki!.IssueClient("expired-" + Guid.NewGuid().ToString("N")[..6], "root",
            notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        var path = dir.Combine("s.db");
        var result = await Save(path, Cluster.Endpoints[0], Certs.CaFile, expired.CertFile, expired.KeyFile);
        AssertOneLineError(result, 4, "expired on");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task Key_that_belongs_to_another_certificate()
    {
        using var dir = TempDirectory.Create();
        var other = Cluster.Pki!.IssueClient("other-" + Guid.NewGuid().ToString("N")[..6], "someone");
        var path = dir.Combine("s.db");
        var result = await Save(path, Cluster.Endpoints[0], Certs.CaFile, Certs.CertFile, other.KeyFile);
        AssertOneLineError(result, 2, "do not load as a pair");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task Client_certificate_from_a_ca_the_server_does_not_trust()
    {
        using var dir = TempDirectory.Create();
        using var rogue = LabCertificateAuthority.Create("rogue CA");
        var client = rogue.IssueClient("root").WriteFilesInto(dir.Path, "rogue-client");
        var path = dir.Combine("s.db");
        var result = await Save(path, Cluster.Endpoints[0], Certs.CaFile, client.CertificateFile, client.PrivateKeyFile);
        AssertOneLineError(result, 4, "refused our client certificate");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task No_client_certificate_at_all()
    {
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        var result = await Save(path, Cluster.Endpoints[0], Certs.CaFile, null, null);
        AssertOneLineError(result, 4, "does it require a client certificate");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task Plain_http_to_a_tls_endpoint_says_use_https()
    {
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        var result = await Save(path, Cluster.Endpoints[0].Replace("https://", "http://"), null, null, null);
        AssertOneLineError(result, 4, "use an https:// endpoint");
        AssertNoSnapshotAt(path);
    }

    [Fact]
    public async Task Existing_output_is_refused_and_untouched()
    {
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        await File.WriteAllTextAsync(path, "the only backup we have");
        var result = await Save(path, Cluster.Endpoints[0], Certs.CaFile, Certs.CertFile, Certs.KeyFile);
        AssertOneLineError(result, 5, "--force");
        Assert.Equal("the only backup we have", await File.ReadAllTextAsync(path));

        var forced = await Save(path, Cluster.Endpoints[0], Certs.CaFile, Certs.CertFile, Certs.KeyFile, "--force");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(32, new FileInfo(path).Length % 512);
    }

    [Fact]
    public async Task Full_disk_at_the_destination()
    {
        using var dir = TempDirectory.Create();
        var mount = dir.CreateSubdirectory("tiny");
        // A 64 KiB tmpfs: the snapshot of the shared cluster (> 64 KiB) cannot fit.
        (await ProcessRunner.RunAsync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", mount])).EnsureSuccess("mount tmpfs (the tests run as root)");
        try
        {
            await Cluster.PutKeysAsync(100, "/fill-" + Guid.NewGuid().ToString("N")[..6] + "/", valueSize: 2000);
            var path = Path.Combine(mount, "s.db");
            var result = await Save(path, Cluster.Endpoints[0], Certs.CaFile, Certs.CertFile, Certs.KeyFile);
            AssertOneLineError(result, 1, "no space left on device");
            Assert.Empty(Directory.GetFileSystemEntries(mount));
        }
        finally
        {
            await ProcessRunner.RunAsync("umount", [mount]);
        }
    }

    [Fact]
    public async Task Verify_catches_a_flipped_bit_and_a_truncation_in_a_real_snapshot()
    {
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        var saved = await Save(path, Cluster.Endpoints[0], Certs.CaFile, Certs.CertFile, Certs.KeyFile);
        Assert.True(saved.ExitCode == 0, saved.ToString());
        var good = await File.ReadAllBytesAsync(path);

        var flipped = (byte[])good.Clone();
        flipped[flipped.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(path, flipped);
        var flippedResult = await CliRunner.RunAsync("snapshot", "verify", path, "--output", "table");
        Assert.True(flippedResult.ExitCode == 3, flippedResult.ToString());
        Assert.Contains("FAIL trailer", flippedResult.Stdout);

        // etcdctl agrees: its restore refuses the same file with its hash check on.
        var restore = await SnapshotRestore.RestoreDataDirAsync(new SnapshotRestoreRequest(path, "x", dir.Combine("restore-dir"), "x=http://127.0.0.1:2380", "http://127.0.0.1:2380", "t"));
        Assert.NotEqual(0, restore.ExitCode);

        await File.WriteAllBytesAsync(path, good[..^4096]);
        var truncated = await CliRunner.RunAsync("snapshot", "verify", path, "--output", "table");
        Assert.True(truncated.ExitCode == 3, truncated.ToString());
        Assert.Contains("FAIL size", truncated.Stdout);
    }
}
