using System.Diagnostics;
using EtcdDr.Lab;
using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

/// <summary>
/// The etcd-dr-ssh-* control folders: none without a connection (an inventory check of 5,000 hosts
/// made 5,000 of them and ran `ssh -O exit` 5,000 times), and a dead run's leftovers told from a
/// live run's by the owner file.
/// </summary>
public class SshControlDirectoryTests
{
    private static string[] ControlDirs(string root) => Directory.GetDirectories(root, SshControlDirectory.Prefix + "*");

    [Fact]
    public async Task Checking_a_5000_host_inventory_without_connect_makes_no_control_folder()
    {
        using var dir = new TempDir();
        var tmp = Directory.CreateDirectory(dir.File("tmp")).FullName;
        var hosts = string.Join("", Enumerable.Range(1, 5000).Select(i => $"    node{i}: {{ ansible_host: 10.{i / 65536}.{i / 256 % 256}.{i % 256} }}\n"));
        File.WriteAllText(dir.File("hosts.yaml"), $"all:\n  hosts:\n{hosts}  children:\n    etcd:\n      hosts:\n{string.Join("", Enumerable.Range(1, 5000).Select(i => $"        node{i}:\n"))}");

        // A child etcd-dr with its own TMPDIR, so nothing else in this test run can make a folder there.
        var argv = SelfInvocation.Argv();
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1).Concat(["inventory", "check", "-i", dir.File("hosts.yaml"), "--output", "json"]))
            start.ArgumentList.Add(a);
        start.Environment["TMPDIR"] = tmp;
        // Watched while it runs: the old code made a folder per host and removed each again at the
        // end, so only watching shows they were made at all.
        var created = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var watcher = new FileSystemWatcher(tmp) { IncludeSubdirectories = false, InternalBufferSize = 64 * 1024 };
        watcher.Created += (_, e) => created.Enqueue(e.Name ?? "?");
        watcher.Error += (_, e) => created.Enqueue("watcher overflow: " + e.GetException().Message);
        watcher.EnableRaisingEvents = true;
        using var child = Process.Start(start)!;
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = await child.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromMinutes(5)))
            await child.WaitForExitAsync(limit.Token);
        var output = await stdout;

        Assert.True(child.ExitCode == 0, $"exit {child.ExitCode}: {stderr}");
        Assert.Equal(5000, output.Split("not checked (add --connect)").Length - 1);
        Assert.Empty(ControlDirs(tmp));
        await Task.Delay(200); // inotify events arrive asynchronously
        Assert.DoesNotContain(created, name => name.StartsWith(SshControlDirectory.Prefix, StringComparison.Ordinal) || name.StartsWith("watcher", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_folder_is_made_for_ssh_with_an_owner_file_and_removed_on_dispose()
    {
        var used = new OpenSshHost(new MasterHost("cp-1", "10.0.0.1"), new SshSettings());
        var args = used.SshArguments();
        var controlPath = args.Single(a => a.StartsWith("ControlPath=", StringComparison.Ordinal))["ControlPath=".Length..];
        var folder = Path.GetDirectoryName(controlPath)!;
        Assert.True(Directory.Exists(folder));
        Assert.Equal(Environment.ProcessId, ControlDirectoryOwner.Parse(File.ReadAllText(Path.Combine(folder, SshControlDirectory.OwnerFile)))!.Pid);
        Assert.Equal(["--", "10.0.0.1"], args.TakeLast(2));
        await used.DisposeAsync();
        Assert.False(Directory.Exists(folder));
        await used.DisposeAsync(); // a second dispose (RemoteCluster's, after inventory check's own) does nothing
    }

    private static string Leftover(string root, string name, string? owner)
    {
        var dir = Directory.CreateDirectory(Path.Combine(root, SshControlDirectory.Prefix + name)).FullName;
        if (owner is not null)
            File.WriteAllText(Path.Combine(dir, SshControlDirectory.OwnerFile), owner);
        return dir;
    }

    [Fact]
    public async Task Leftovers_of_dead_owners_go_and_folders_of_live_ones_stay()
    {
        using var dir = new TempDir();
        var root = dir.Path;
        var me = ControlDirectoryOwner.Current()!;

        // A real process that owns a folder, then dies by SIGKILL as an interrupted run would.
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "600"))!;
        var sleeperIdentity = ControlDirectoryOwner.Of(sleeper.Id)!;
        var killed = Leftover(root, "killed", sleeperIdentity.ToString());
        using var survivor = Process.Start(new ProcessStartInfo("sleep", "600"))!;
        var alive = Leftover(root, "alive", ControlDirectoryOwner.Of(survivor.Id)!.ToString());
        File.WriteAllText(Path.Combine(alive, "socket-stand-in"), "");
        var ours = Leftover(root, "ours", me.ToString());
        var reusedPid = Leftover(root, "reused", (me with { StartTime = me.StartTime + 1 }).ToString());
        var otherBoot = Leftover(root, "otherboot", (me with { BootId = Guid.NewGuid().ToString() }).ToString());
        var otherNamespace = Leftover(root, "otherns", (me with { Pid = 999999, PidNamespace = "pid:[1]" }).ToString());
        var oldEmpty = Leftover(root, "oldempty", null);
        Directory.SetLastWriteTimeUtc(oldEmpty, DateTime.UtcNow.AddDays(-2));
        var oldFull = Leftover(root, "oldfull", null);
        File.WriteAllText(Path.Combine(oldFull, "s"), "");
        Directory.SetLastWriteTimeUtc(oldFull, DateTime.UtcNow.AddDays(-2));
        var newEmpty = Leftover(root, "newempty", null);
        var unreadable = Leftover(root, "garbage", "not an owner");
        try
        {
            // The sleeper still runs: its folder stays; the provably dead owners' go.
            var first = SshControlDirectory.CleanLeftovers(root, DateTimeOffset.UtcNow);
            Assert.Equal(new[] { reusedPid, otherBoot, oldEmpty }.Order(), first.Order());
            Assert.True(Directory.Exists(killed));

            sleeper.Kill();
            await sleeper.WaitForExitAsync();
            Assert.Equal([killed], SshControlDirectory.CleanLeftovers(root, DateTimeOffset.UtcNow));
            foreach (var kept in new[] { alive, ours, otherNamespace, oldFull, newEmpty, unreadable })
                Assert.True(Directory.Exists(kept), kept);
        }
        finally
        {
            survivor.Kill();
            if (!sleeper.HasExited)
                sleeper.Kill();
        }
    }
}
