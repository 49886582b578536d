using System.Diagnostics;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>
/// The etcd-dr-ssh-* control folders of a real etcd-dr process: gone after SIGTERM, and after SIGKILL
/// gone with the next run. The masters are ports that accept and never answer, so every ssh login
/// hangs and the run is interrupted with connections in flight, as an operator's Ctrl-C would.
/// </summary>
public sealed class SshControlFolderCleanupTests : IDisposable
{
    // A short TMPDIR of the test's own: control socket paths must fit in 108 bytes, and no other
    // test's folders may be counted.
    private readonly string _tmp = Directory.CreateTempSubdirectory("edr-").FullName;
    private readonly TempDirectory _dir = TempDirectory.Create("ssh-cleanup");

    public void Dispose()
    {
        _dir.Dispose();
        try { Directory.Delete(_tmp, recursive: true); } catch (IOException) { }
    }

    private string[] ControlFolders() => Directory.GetDirectories(_tmp, SshControlDirectory.Prefix + "*");

    private string HangingInventory(SilentListener silent, int masters)
    {
        var (address, port) = (silent.Authority.Split(':')[0], silent.Authority.Split(':')[1]);
        var path = _dir.Combine($"etcd-dr-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, $"cluster: hang\nssh:\n  configFile: /dev/null\n  port: {port}\nmasters:\n"
            + string.Join("", Enumerable.Range(1, masters).Select(i => $"  - {{ name: m{i}, address: {address} }}\n")));
        return path;
    }

    private Process StartCli(params string[] args)
    {
        var argv = EtcdDr.Lab.SelfInvocation.Argv();
        var start = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in argv.Skip(1).Concat(args))
            start.ArgumentList.Add(a);
        start.Environment["TMPDIR"] = _tmp;
        var child = Process.Start(start)!;
        ChildProcessReaper.Track(child);
        return child;
    }

    private async Task WaitForFoldersAsync(Process child, Task<string> stdout, Task<string> stderr)
    {
        var deadline = Stopwatch.StartNew();
        while (ControlFolders().Length < InventoryCommandsParallelism && !child.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(60))
            await Task.Delay(20);
        if (child.HasExited)
            Assert.Fail($"etcd-dr ended (exit {child.ExitCode}) before its logins were in flight: {await stdout}{await stderr}");
        Assert.NotEmpty(ControlFolders());
        // ssh is running for them: the owner file was written before ssh was started.
        await Task.Delay(500);
    }

    private const int InventoryCommandsParallelism = EtcdDr.Cli.InventoryCommands.ParallelConnections;

    [Fact]
    public async Task Sigterm_during_connect_leaves_no_control_folder()
    {
        using var silent = SilentListener.Start();
        using var child = StartCli("inventory", "check", "-i", HangingInventory(silent, 40), "--connect");
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        try
        {
            await WaitForFoldersAsync(child, stdout, stderr);
            Assert.True(PosixSignals.Terminate(child.Id), "SIGTERM could not be sent");
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await child.WaitForExitAsync(limit.Token);
        }
        finally
        {
            if (!child.HasExited)
                child.Kill(entireProcessTree: true);
        }
        Assert.True(child.ExitCode == 130, $"exit {child.ExitCode}: {await stdout}{await stderr}");
        Assert.Empty(ControlFolders());
    }

    [Fact]
    public async Task After_sigkill_the_next_run_removes_the_leftovers_and_only_those()
    {
        using var silent = SilentListener.Start();
        using var killed = StartCli("inventory", "check", "-i", HangingInventory(silent, 40), "--connect");
        var killedErr = killed.StandardError.ReadToEndAsync();
        var killedOut = killed.StandardOutput.ReadToEndAsync();
        string[] leftovers;
        try
        {
            await WaitForFoldersAsync(killed, killedOut, killedErr);
        }
        finally
        {
            killed.Kill(); // SIGKILL: nothing of etcd-dr's own cleanup runs
            await killed.WaitForExitAsync();
        }
        leftovers = ControlFolders();
        Assert.NotEmpty(leftovers);
        Assert.All(leftovers, d => Assert.Equal(killed.Id, ControlDirectoryOwner.Parse(File.ReadAllText(Path.Combine(d, SshControlDirectory.OwnerFile)))!.Pid));

        // A folder of a run that is still going (another etcd-dr, here a stand-in process) stays.
        using var live = Process.Start(new ProcessStartInfo("sleep", "300"))!;
        ChildProcessReaper.Track(live);
        var liveFolder = Directory.CreateDirectory(Path.Combine(_tmp, SshControlDirectory.Prefix + "live")).FullName;
        File.WriteAllText(Path.Combine(liveFolder, SshControlDirectory.OwnerFile), ControlDirectoryOwner.Of(live.Id)!.ToString());
        try
        {
            // The next run that connects anywhere (a closed port: it fails at once) cleans up first.
            var closed = LoopbackAddresses.AllocateCluster(1)[0];
            var inventory = _dir.Combine("closed.yaml");
            File.WriteAllText(inventory, $"cluster: next\nssh:\n  configFile: /dev/null\n  port: {closed.ClientPort}\nmasters:\n  - {{ name: m1, address: {closed.Address} }}\n");
            using var next = StartCli("inventory", "check", "-i", inventory, "--connect");
            var nextErr = next.StandardError.ReadToEndAsync();
            var nextOut = next.StandardOutput.ReadToEndAsync();
            using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
                await next.WaitForExitAsync(limit.Token);
            Assert.True(next.ExitCode == 4, $"exit {next.ExitCode}: {await nextOut}{await nextErr}");

            Assert.Equal([liveFolder], ControlFolders());
        }
        finally
        {
            live.Kill();
        }
    }
}
