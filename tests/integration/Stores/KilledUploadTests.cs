using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// "A killed upload leaves no listed snapshot", with a real kill: the published single-file
/// binary saves a real etcd of ~40 MiB to each backend, is SIGKILLed once the upload is under way
/// (a temp file with bytes in it, an S3 part stored, an Azure block staged), and then `snapshot
/// list` shows no snapshot and `snapshot fetch latest` refuses. etcd is reached through a
/// rate-capped loopback forwarder so the save lasts seconds instead of a blink.
/// </summary>
public sealed class KilledUploadTests(S3rverFixture s3, AzuriteFixture azure, SshdFixture sshd, KilledUploadTests.LargeClusterFixture etcd)
    : IClassFixture<S3rverFixture>, IClassFixture<AzuriteFixture>, IClassFixture<SshdFixture>, IClassFixture<KilledUploadTests.LargeClusterFixture>
{
    /// <summary>One member with ~40 MiB of values: more than two S3 parts (16 MiB) and four Azure blocks (8 MiB).</summary>
    public sealed class LargeClusterFixture : EtcdClusterFixture, IAsyncLifetime
    {
        protected override EtcdClusterOptions Options => new() { Name = "killsave" };

        // Re-implemented so xunit runs the base start-up and then fills the cluster.
        async Task IAsyncLifetime.InitializeAsync()
        {
            await base.InitializeAsync();
            await Cluster.PutKeysAsync(5000, "/big/", valueSize: 8 * 1024);
        }
    }

    // 10 MiB/s: a 40 MiB snapshot takes ~4 s, a first S3 part is stored after ~2 s.
    private const long Rate = 10L << 20;

    private static readonly Dictionary<string, string?> Credentials = new()
    {
        ["AWS_ACCESS_KEY_ID"] = S3rver.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = S3rver.SecretKey,
        ["AWS_SESSION_TOKEN"] = null,
        ["AWS_PROFILE"] = null,
        ["AWS_EC2_METADATA_DISABLED"] = "true", // never ask an instance metadata service
        ["AZURE_STORAGE_KEY"] = Azurite.AccountKey,
        ["AZURE_STORAGE_CONNECTION_STRING"] = null,
        ["AZURE_STORAGE_SAS_TOKEN"] = null,
    };

    [Fact]
    public async Task A_killed_save_to_a_local_directory_lists_no_snapshot()
    {
        using var dir = TempDirectory.Create();
        var root = dir.Combine("backups");
        await KillDuringUploadAsync("file://" + root, () => Task.FromResult(HasTempFileWithBytes(root)));
    }

    [Fact]
    public async Task A_killed_save_over_ssh_lists_no_snapshot()
    {
        var folder = $"kill-{Guid.NewGuid():N}";
        await KillDuringUploadAsync(sshd.Url(folder), () => Task.FromResult(HasTempFileWithBytes(Path.Combine(sshd.Root, folder))));
    }

    [Fact]
    public async Task A_killed_multipart_save_to_s3_lists_no_snapshot()
    {
        var prefix = $"kill-{Guid.NewGuid():N}";
        await KillDuringUploadAsync(s3.Server.Url(prefix), () => Task.FromResult(HasStoredS3Part(prefix)));
    }

    [Fact]
    public async Task A_killed_block_save_to_azure_lists_no_snapshot()
    {
        var prefix = $"kill-{Guid.NewGuid():N}";
        await KillDuringUploadAsync(azure.Server.Url(AzuriteFixture.Container, prefix), () => HasStagedAzureBlockAsync(prefix + "/"));
    }

    private async Task KillDuringUploadAsync(string url, Func<Task<bool>> uploadStarted)
    {
        var binary = RepositoryPaths.SingleFileBinary;
        await using var proxy = ThrottledTcpProxy.Start(etcd.Cluster.Endpoints[0], Rate);
        // Short: the ssh control socket path inside it must fit a sockaddr_un.
        var tmp = Directory.CreateTempSubdirectory("kill").FullName;
        var environment = new Dictionary<string, string?>(Credentials) { ["TMPDIR"] = tmp };
        try
        {
            using var save = StartChild(binary, ["snapshot", "save", "--endpoints", proxy.Endpoint, "--cluster", "prod", "--to", url, "--output", "json"], environment);
            var stderr = save.StandardError.ReadToEndAsync();
            var stdout = save.StandardOutput.ReadToEndAsync();
            var deadline = Stopwatch.StartNew();
            while (!await uploadStarted())
            {
                if (save.HasExited)
                    Assert.Fail($"the save ended (exit {save.ExitCode}) before its upload was seen: {await stdout}\n{await stderr}");
                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                    Assert.Fail("the upload did not start within 60 s");
                await Task.Delay(20);
            }
            Assert.False(save.HasExited, "the save finished before it could be killed");
            save.Kill(entireProcessTree: false); // SIGKILL, to the CLI alone, as the OOM killer would
            await save.WaitForExitAsync();
            ChildProcessReaper.Forget(save);
            Assert.Equal(128 + 9, save.ExitCode);

            var list = await ProcessRunner.RunAsync(binary, ["snapshot", "list", "--from", url, "--cluster", "prod", "--output", "json"],
                new ProcessRunOptions { Environment = environment });
            Assert.True(list.ExitCode == 0, list.ToString());
            using (var json = JsonDocument.Parse(list.Stdout))
                Assert.Empty(json.RootElement.GetProperty("snapshots").EnumerateArray());

            using var dir = TempDirectory.Create();
            var fetched = dir.Combine("fetched.db");
            var fetch = await ProcessRunner.RunAsync(binary, ["snapshot", "fetch", "latest", "--from", url, "--cluster", "prod", "-o", fetched],
                new ProcessRunOptions { Environment = environment });
            Assert.True(fetch.ExitCode == 2, fetch.ToString());
            Assert.Contains("no verified snapshot", fetch.Stderr);
            Assert.False(File.Exists(fetched));
        }
        finally
        {
            await CloseSshMastersAsync(tmp);
            Directory.Delete(tmp, recursive: true);
        }
    }

    private static Process StartChild(string binary, IEnumerable<string> argv, IReadOnlyDictionary<string, string?> environment)
    {
        var info = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in argv)
            info.ArgumentList.Add(a);
        ProcessRunner.ApplyEnvironment(info, new ProcessRunOptions { Environment = environment });
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {binary}");
        ChildProcessReaper.Track(process);
        process.StandardInput.Close();
        return process;
    }

    /// <summary>A killed CLI cannot close its ssh master (it outlives the CLI by design); close it here.</summary>
    private static async Task CloseSshMastersAsync(string tmp)
    {
        foreach (var socket in Directory.EnumerateFileSystemEntries(tmp, "*", SearchOption.AllDirectories).Where(p => Path.GetDirectoryName(p)!.Contains("etcd-dr-ssh-", StringComparison.Ordinal)))
            await ProcessRunner.RunAsync("ssh", ["-o", $"ControlPath={socket}", "-O", "exit", "unused"]);
    }

    /// <summary>LocalDirStore and SshDirStore write to hidden .etcd-dr-tmp-* names first.</summary>
    private static bool HasTempFileWithBytes(string root) =>
        Directory.Exists(root) &&
        Directory.EnumerateFiles(root, ".etcd-dr-tmp-*", SearchOption.AllDirectories).Any(f => f.EndsWith(".db", StringComparison.Ordinal) && new FileInfo(f).Length > 0);

    /// <summary>s3rver keeps a multipart upload as uploads/&lt;id&gt;/{key, N, N.md5}; N.md5 appears once part N is stored.</summary>
    private bool HasStoredS3Part(string prefix) =>
        Directory.Exists(s3.Server.DataDirectory) &&
        Directory.EnumerateFiles(s3.Server.DataDirectory, "key", SearchOption.AllDirectories)
            .Where(f => File.ReadAllText(f).StartsWith(prefix + "/", StringComparison.Ordinal))
            .Any(f => Directory.EnumerateFiles(Path.GetDirectoryName(f)!, "*.md5").Any());

    /// <summary>List Blobs with include=uncommittedblobs: a blob that has staged blocks but no block list yet.</summary>
    private async Task<bool> HasStagedAzureBlockAsync(string prefix)
    {
        using var store = new AzureBlobStore(azure.Server.Options(AzuriteFixture.Container, ""));
        return (await store.ListIncludingUncommittedAsync(prefix, default)).Any(name => name.EndsWith(".db", StringComparison.Ordinal));
    }
}
