using System.Diagnostics;
using EtcdDr.Cli;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Snapshots;

/// <summary>
/// How `snapshot save` ends when nothing can be saved (one stderr line, exit code, no file), when it
/// is interrupted, and that a good save is exactly what etcdctl writes.
/// </summary>
public sealed class SnapshotOutcomeTests(ThreeMemberTlsClusterFixture fixture) : IClassFixture<ThreeMemberTlsClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;

    private static void AssertOneLineErrorAndNoFile(CliRunner.CliResult result, int code, string dir)
    {
        Assert.True(result.ExitCode == code, result.ToString());
        Assert.StartsWith("etcd-dr: ", result.Stderr);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public async Task Three_endpoints_down_give_one_line_naming_each()
    {
        using var dir = TempDirectory.Create();
        // Three addresses of a random 127.A.B.x block with nothing listening (127.0.0.x is the lab's).
        var endpoints = LoopbackAddresses.AllocateCluster(3).Select(m => $"http://{m.Address}:{m.ClientPort}").ToList();

        var result = await CliRunner.RunAsync("snapshot", "save", "--endpoints", string.Join(',', endpoints), "--dial-timeout", "2", "-o", dir.Combine("s.db"));

        AssertOneLineErrorAndNoFile(result, 4, dir.Path);
        Assert.StartsWith("etcd-dr: no etcd endpoint answered: ", result.Stderr);
        foreach (var endpoint in endpoints)
            Assert.Contains($"{endpoint}: connection refused", result.Stderr);
    }

    [Fact]
    public async Task Three_endpoints_with_the_wrong_ca_give_one_line_naming_each()
    {
        using var dir = TempDirectory.Create();
        using var other = LabCertificateAuthority.Create("some other CA");
        var otherCa = other.Certificate.WriteFilesInto(dir.Path, "other-ca").CertificateFile;
        using var output = TempDirectory.Create();
        var certs = Cluster.ClientCertPaths!;

        var result = await CliRunner.RunAsync("snapshot", "save", "--endpoints", string.Join(',', Cluster.Endpoints),
            "--cacert", otherCa, "--cert", certs.CertFile, "--key", certs.KeyFile, "--dial-timeout", "3", "-o", output.Combine("s.db"));

        AssertOneLineErrorAndNoFile(result, 4, output.Path);
        foreach (var endpoint in Cluster.Endpoints)
            Assert.Contains($"{endpoint}: TLS: server certificate", result.Stderr);
        Assert.Equal(3, result.Stderr.Split("does not chain to the given CA").Length - 1);
    }

    [Fact]
    public async Task A_lone_key_or_cert_is_a_usage_error_even_without_tls()
    {
        var certs = Cluster.ClientCertPaths!;
        foreach (var flag in new[] { ("--key", certs.KeyFile), ("--cert", certs.CertFile) })
        {
            using var dir = TempDirectory.Create();
            var result = await CliRunner.RunAsync("snapshot", "save", "--endpoints", "http://127.0.0.1:1", flag.Item1, flag.Item2, "-o", dir.Combine("s.db"));
            AssertOneLineErrorAndNoFile(result, 2, dir.Path);
            Assert.Contains("--cert and --key go together", result.Stderr);
        }
    }

    [Fact]
    public async Task Interrupting_or_terminating_a_save_exits_130_and_leaves_neither_file_nor_part()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "cancel1" });
        await cluster.PutKeysAsync(3000, "/cancel/", valueSize: 10_000); // ~30 MB
        // Through a 10 MiB/s forwarder the stream takes ~3 s, so the interrupt surely lands
        // mid-stream; straight from etcd on loopback a loaded machine could finish it first.
        await using var slow = ThrottledTcpProxy.Start(cluster.Endpoints[0], 10L * 1024 * 1024);
        string[] connection = CliRunner.ConnectionArgs(cluster, [slow.Endpoint]);
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        using var interrupt = new CancellationTokenSource();
        // Ctrl-C reaches a command as this token (System.CommandLine cancels it on SIGINT/SIGTERM);
        // cancel it once bytes are landing in the part file, i.e. mid-stream.
        var watcher = Task.Run(async () =>
        {
            while (!interrupt.IsCancellationRequested)
            {
                if (File.Exists(path + ".part") && new FileInfo(path + ".part").Length > 0)
                {
                    await interrupt.CancelAsync();
                    return;
                }
                await Task.Delay(2);
            }
        });
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        var code = await EtcdDrCli.Build(stdout, stderr).Parse(["snapshot", "save", .. connection, "-o", path])
            .InvokeAsync(cancellationToken: interrupt.Token);
        await interrupt.CancelAsync();
        await watcher;

        Assert.True(code == 130, $"exit {code}\n{stderr}");
        Assert.Contains("interrupted", stderr.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));

        // The same through a real signal to etcd-dr as a child process. SIGTERM (what systemd sends
        // a timer's run) and not SIGINT: a test run started in the background by a non-interactive
        // shell ignores SIGINT, the child inherits that, and the runtime keeps it ignored; Program.cs
        // turns both signals into the same cancellation.
        var argv = SelfInvocation.Argv();
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var arg in argv.Skip(1).Concat(["snapshot", "save", .. connection, "-o", path]))
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        var childStderr = child.StandardError.ReadToEndAsync();
        var childStdout = child.StandardOutput.ReadToEndAsync();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (!(File.Exists(path + ".part") && new FileInfo(path + ".part").Length > 0) && !child.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(30))
                await Task.Delay(2);
            Assert.True(PosixSignals.Terminate(child.Id), "SIGTERM could not be sent");
            using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await child.WaitForExitAsync(exitWait.Token);
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
        }
        var childErr = await childStderr;
        await childStdout;
        Assert.True(child.ExitCode == 130, $"exit {child.ExitCode}\n{childErr}");
        Assert.Contains("interrupted", childErr);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public async Task The_file_is_byte_for_byte_what_etcdctl_saves()
    {
        await using var cluster = await EtcdCluster.StartAsync(new EtcdClusterOptions { Name = "sameasctl" });
        await cluster.PutKeysAsync(500, "/same/", valueSize: 300);
        using var dir = TempDirectory.Create();
        // Nothing writes between the two saves, but etcd may still commit a background transaction
        // (a lease checkpoint, a compaction tick) between them and change the meta page; then both
        // are taken again, up to three times.
        byte[] ours = [], theirs = [];
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var oursPath = dir.Combine($"ours-{attempt}.db");
            var theirsPath = dir.Combine($"etcdctl-{attempt}.db");
            var result = await CliRunner.RunAsync(["snapshot", "save", .. CliRunner.ConnectionArgs(cluster), "-o", oursPath]);
            Assert.True(result.ExitCode == 0, result.ToString());
            await cluster.SaveSnapshotAsync(theirsPath);
            ours = await File.ReadAllBytesAsync(oursPath);
            theirs = await File.ReadAllBytesAsync(theirsPath);
            if (ours.AsSpan().SequenceEqual(theirs))
                break;
        }
        Assert.True(ours.Length > 0 && ours.AsSpan().SequenceEqual(theirs), $"ours {ours.Length} bytes, etcdctl {theirs.Length} bytes, not identical after 3 attempts");
    }
}
