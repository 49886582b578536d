using System.Diagnostics;
using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;
using EtcdDr.Restore;
using Xunit.Abstractions;

namespace EtcdDr.IntegrationTests.Restore.Crash;

/// <summary>The four kinds of restore the crash test interrupts.</summary>
public enum CrashStrategy
{
    SnapshotAll,
    ForceNewCluster,
    FromMember,
    RepairMember,
}

/// <summary>
/// The crash test of issue 9 for one strategy on one flavor, on ONE lab: `etcd-dr restore run` as a real
/// child process, SIGKILLed at step boundary 0, then `restore resume` SIGKILLed at boundary 1, and so on
/// until boundary N (after the last step); a last resume runs to the end. Boundary k lies between step k-1
/// and step k. It is hit in one of two ways, alternating with k (and the other way round on the other
/// flavor, so each strategy sees both ways at every boundary across the two flavors): right after step
/// k-1's "end" record (the plan record for k = 0), or right after step k's "begin" record, before its
/// action. The run stops exactly there through ETCD_DR_TEST_PAUSE_AFTER (CrashTestPause), then gets
/// SIGKILL. Then: every member healthy, the member list right, the keys right, the old data kept.
/// docs/restore-crash.md has the results table.
/// </summary>
public sealed class RestoreCrashRun(LabFlavor flavor, CrashStrategy strategy, int net, ITestOutputHelper output)
{
    /// <summary>One step's run (its wait for health included) can take minutes on a loaded machine.</summary>
    private static readonly TimeSpan PointTimeout = TimeSpan.FromMinutes(10);

    private int Phase => flavor == LabFlavor.Kubeadm ? 0 : 1;

    public async Task RunAsync()
    {
        var clock = Stopwatch.StartNew();
        var name = $"{flavor.ToString().ToLowerInvariant()} {Describe(strategy)}";
        await using var lab = await RestoreLab.UpAsync(flavor, net, $"crash-{flavor}-{strategy}".ToLowerInvariant());
        var upSeconds = clock.Elapsed.TotalSeconds;
        var (first, expectAfterKey) = await BreakAsync(lab);
        var breakSeconds = clock.Elapsed.TotalSeconds - upSeconds;

        // Short TMPDIR: the ssh control sockets a killed run leaves behind must fit a sockaddr_un, and are closed here.
        var tmp = Directory.CreateTempSubdirectory("crash").FullName;
        var tried = 0;
        var passed = 0;
        var points = new List<string>();
        try
        {
            JournalState? state = null;
            var boundary = 0;
            var command = first;
            while (true)
            {
                if (state is not null && boundary > state.Plan.Steps.Count)
                    break;
                var point = PausePoint(boundary, state?.Plan);
                tried++;
                points.Add(point);
                var before = state is null ? 0 : Count(state, point);
                await KillAtAsync(lab, command, point, before, tmp);
                if (state is not null)
                    passed++; // the previous kill point was resumed past
                state = RestoreJournal.Read(Journal(lab));
                Assert.True(IsLast(state, point), $"{name}: killed at {point}, but the journal's last record is {Name(state.Records[^1])}");
                var status = await lab.CliAsync("restore", "status", "--journal", state.Path, "--output", "json");
                Assert.True(status.Exit == 6, $"{name}: `restore status` after the kill at {point}: exit {status.Exit}, expected 6 (not finished)\n{status.Stdout}{status.Stderr}");
                output.WriteLine($"{clock.Elapsed.TotalSeconds,7:0.0} s  killed at {point} (step {(state.NextStep < state.Plan.Steps.Count ? state.Plan.Steps[state.NextStep].Kind.ToString() : "none")} next)");
                command = ["restore", "resume"];
                boundary++;
            }
            var last = await ChildAsync(lab, command, pauseAt: null, tmp);
            Assert.True(last.Exit == 0, $"{name}: the last `restore resume` failed (exit {last.Exit}) after {tried} kill points\n{last.Stdout}\n{last.Stderr}");
            passed++;
            state = RestoreJournal.Read(Journal(lab));
            Assert.True(state.IsFinished, $"{name}: the journal does not say finished");
            await VerifyAsync(lab, state, expectAfterKey, name);
        }
        finally
        {
            await CloseSshMastersAsync(tmp);
            Directory.Delete(tmp, recursive: true);
            // The lab's folders go with it: keep the journal, the record of every kill and resume.
            if (Directory.Exists(lab.StateDir) && Directory.GetFiles(lab.StateDir, "*" + RestoreJournal.Extension).Length > 0)
                File.Copy(Journal(lab), Path.Combine(Path.GetTempPath(), "etcd-dr-tests", $"restore-crash-{flavor}-{strategy}.journal".ToLowerInvariant()), overwrite: true);
        }
        var line = $"{name}: {tried} kill points tried, {passed} passed; lab up {upSeconds:0} s, fault {breakSeconds:0} s, whole test {clock.Elapsed.TotalSeconds:0} s";
        output.WriteLine(line);
        output.WriteLine("kill points: " + string.Join(" ", points));
        await File.AppendAllTextAsync(Path.Combine(Path.GetTempPath(), "etcd-dr-tests", "restore-crash.log"), $"{DateTime.UtcNow:u} {line}\n");
    }

    private static string Describe(CrashStrategy s) => s switch
    {
        CrashStrategy.SnapshotAll => "snapshot-all",
        CrashStrategy.ForceNewCluster => "force-new-cluster",
        CrashStrategy.FromMember => "--from-member",
        _ => "restore member",
    };

    /// <summary>
    /// Where boundary k is hit (see the class comment); the plan is known after the first kill. Inside a group
    /// (steps k-1 and k run at once) always right after step k's "begin": the group's begins are written in
    /// plan order before any of its steps ends, while their ends come in any order, so "after the end of
    /// k-1" is no boundary there, and a later member that already ended would never be begun again.
    /// </summary>
    private string PausePoint(int boundary, RestorePlan? plan)
    {
        var steps = plan?.Steps;
        if (steps is not null && boundary >= steps.Count)
            return $"end:{steps.Count - 1}";
        if (steps is not null && boundary > 0 && steps[boundary].Group is { } group && steps[boundary - 1].Group == group)
            return $"begin:{boundary}";
        var afterEnd = (boundary + Phase) % 2 == 0;
        return afterEnd ? (boundary == 0 ? "plan" : $"end:{boundary - 1}") : $"begin:{boundary}";
    }

    private static string Name(JournalRecord r) => r.Step is { } s ? $"{r.Type}:{s}" : r.Type;

    private static int Count(JournalState state, string point) => state.Records.Count(r => Name(r) == point);

    private static bool IsLast(JournalState state, string point) => Name(state.Records[^1]) == point;

    private static string Journal(RestoreLab lab) =>
        Directory.GetFiles(lab.StateDir, "*" + RestoreJournal.Extension).Order(StringComparer.Ordinal).LastOrDefault()
        ?? throw new InvalidOperationException($"no journal in {lab.StateDir}");

    /// <summary>The fault each strategy recovers from, and the first command; returns whether the key written after the snapshot must survive.</summary>
    private async Task<(string[] Command, bool AfterKeySurvives)> BreakAsync(RestoreLab lab)
    {
        await lab.PutAsync("/canary/before", "1");
        var snapshot = lab.File("snap.db");
        if (strategy is CrashStrategy.SnapshotAll or CrashStrategy.ForceNewCluster)
            await lab.SnapshotAsync(snapshot);
        await lab.PutAsync("/canary/after", "1");
        switch (strategy)
        {
            case CrashStrategy.SnapshotAll:
            case CrashStrategy.ForceNewCluster:
                for (var i = 1; i <= 3; i++)
                    await lab.BreakAsync("wipe-data", i);
                return (["restore", "run", "--yes", "--snapshot", snapshot, "--strategy", strategy == CrashStrategy.SnapshotAll ? "snapshot-all" : "force-new-cluster"], false);
            case CrashStrategy.FromMember:
                await lab.BreakAsync("lose-quorum", 2);
                await lab.Lab.WaitDownAsync(2, 60);
                // lose-quorum --host master-2 kills master-2 and then master-1 (the lab takes the named host first, then by
                // name), so master-3 was never killed and knows every committed write (FromMemberRestoreTests says why).
                const int survivor = 3;
                return (["restore", "run", "--yes", "--from-member", $"master-{survivor}"], true);
            default:
                await lab.BreakAsync("corrupt-data", 2);
                await lab.Lab.WaitDownAsync(2, 60);
                return (["restore", "member", "master-2", "--yes"], true);
        }
    }

    /// <summary>Starts the CLI with the pause point set, waits until the journal holds one more such record
    /// than <paramref name="before"/>, and SIGKILLs it there.</summary>
    private async Task KillAtAsync(RestoreLab lab, string[] command, string point, int before, string tmp)
    {
        using var child = Start(lab, command, point, tmp);
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (JournalReached(lab, point, before))
                break;
            if (child.HasExited)
                Assert.Fail($"`etcd-dr {string.Join(' ', command)}` ended (exit {child.ExitCode}) before it reached {point}\nstdout: {await stdout}\nstderr: {await stderr}");
            if (deadline.Elapsed > PointTimeout)
            {
                child.Kill();
                Assert.Fail($"`etcd-dr {string.Join(' ', command)}` did not reach {point} within {PointTimeout.TotalMinutes:0} min\nstderr so far: {await stderr}");
            }
            await Task.Delay(50);
        }
        child.Kill(entireProcessTree: false); // SIGKILL to the CLI alone, as a crash or the OOM killer would
        await child.WaitForExitAsync();
        ChildProcessReaper.Forget(child);
        Assert.Equal(128 + 9, child.ExitCode);
        await CloseSshMastersAsync(tmp);
    }

    private static bool JournalReached(RestoreLab lab, string point, int before)
    {
        if (!Directory.Exists(lab.StateDir) || Directory.GetFiles(lab.StateDir, "*" + RestoreJournal.Extension).Length == 0)
            return false;
        try
        {
            return Count(RestoreJournal.Read(Journal(lab)), point) > before;
        }
        catch (DrException)
        {
            return false; // the first line is being written
        }
    }

    private async Task<(int Exit, string Stdout, string Stderr)> ChildAsync(RestoreLab lab, string[] command, string? pauseAt, string tmp)
    {
        using var child = Start(lab, command, pauseAt, tmp);
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(PointTimeout * 3);
        await child.WaitForExitAsync(timeout.Token);
        ChildProcessReaper.Forget(child);
        return (child.ExitCode, await stdout, await stderr);
    }

    /// <summary>The CLI this test assembly was built with, as its own process (`dotnet etcd-dr.dll`).</summary>
    private static Process Start(RestoreLab lab, string[] command, string? pauseAt, string tmp)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "etcd-dr.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution");
        var info = new ProcessStartInfo(Prerequisites.Require("dotnet", "install the .NET SDK")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in (string[])[dll, .. command, "-i", lab.Inventory, "--state-dir", lab.StateDir, "--output", "json"])
            info.ArgumentList.Add(a);
        info.Environment["TMPDIR"] = tmp;
        info.Environment[CrashTestPauseVariable] = pauseAt;
        if (pauseAt is null)
            info.Environment.Remove(CrashTestPauseVariable);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start etcd-dr");
        ChildProcessReaper.Track(process);
        process.StandardInput.Close();
        return process;
    }

    /// <summary>CrashTestPause.Variable (internal to the library).</summary>
    private const string CrashTestPauseVariable = "ETCD_DR_TEST_PAUSE_AFTER";

    /// <summary>A killed CLI cannot close its ssh masters (they outlive it by design); close them here.</summary>
    private static async Task CloseSshMastersAsync(string tmp)
    {
        if (!Directory.Exists(tmp))
            return;
        foreach (var socket in Directory.EnumerateFileSystemEntries(tmp, "*", SearchOption.AllDirectories).Where(p => Path.GetDirectoryName(p)!.Contains("etcd-dr-ssh-", StringComparison.Ordinal)))
            await ProcessRunner.RunAsync("ssh", ["-o", $"ControlPath={socket}", "-O", "exit", "unused"]);
    }

    /// <summary>The end state: healthy voting members as planned, the right keys on every member, each old data dir kept
    /// exactly once, nothing left parked or flagged.</summary>
    private async Task VerifyAsync(RestoreLab lab, JournalState state, bool afterKeySurvives, string name)
    {
        for (var i = 1; i <= 3; i++)
            await lab.Lab.WaitHealthyAsync(i, 120);
        var members = await lab.MembersAsync();
        Assert.Equal(["master-1", "master-2", "master-3"], members.Select(m => m.Name));
        Assert.All(members, m => Assert.False(m.Learner, $"{name}: {m.Name} is still a learner"));
        Assert.Equal(new[] { 1, 2, 3 }.Select(i => $"https://{lab.Lab.Address(i)}:2380"), members.Select(m => m.PeerUrl));
        for (var i = 1; i <= 3; i++)
        {
            Assert.True(await lab.GetAsync("/canary/before", i) == "1", $"{name}: /canary/before missing on master-{i}");
            var after = await lab.GetAsync("/canary/after", i);
            Assert.True(afterKeySurvives ? after == "1" : after is null, $"{name}: /canary/after on master-{i} is {after ?? "absent"}, expected {(afterKeySurvives ? "1" : "absent")}");
        }
        // A write goes through: the cluster is usable, not only answering status.
        await lab.PutAsync("/canary/restored", "1");

        // Each planned move or copy aside happened once (one folder per master and stamp, with the old data in it);
        // a second one for the same member would mean a resumed step moved the restored data away.
        foreach (var host in state.Plan.Topology.Select(t => t.Host))
        {
            var index = int.Parse(host["master-".Length..], System.Globalization.CultureInfo.InvariantCulture);
            var planned = state.Plan.Steps.Where(s => s.Host == host && s.Kind is StepKind.MoveDataAside or StepKind.CopyDataAside).Select(s => s.Path!).Distinct().ToList();
            var found = (await lab.Lab.SshAsync(index, "ls -d /var/lib/etcd.dr-* 2>/dev/null")).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Order(StringComparer.Ordinal).ToList();
            Assert.True(found.SequenceEqual(planned.Order(StringComparer.Ordinal)), $"{name}: {host} has aside folders [{string.Join(", ", found)}], planned [{string.Join(", ", planned)}]");
            foreach (var aside in planned)
                await lab.Lab.SshOkAsync(index, $"test -d {aside}");
            // wipe-data keeps the wiped data in the lab's own folder; it must still be there.
            if (strategy is CrashStrategy.SnapshotAll or CrashStrategy.ForceNewCluster)
                await lab.Lab.SshOkAsync(index, "ls -d /var/lib/etcd-lab-wiped-*/member");
            var config = state.Plan.Topology.First(t => t.Host == host).ConfigFile;
            var text = await lab.CatAsync(index, config);
            Assert.False(text.Contains("force-new-cluster", StringComparison.OrdinalIgnoreCase) || text.Contains("FORCE_NEW_CLUSTER", StringComparison.Ordinal),
                $"{name}: {host} {config} still names force-new-cluster");
            if (flavor == LabFlavor.Kubeadm)
                await lab.Lab.SshOkAsync(index, "test -f /etc/kubernetes/manifests/kube-apiserver.yaml && test -f /etc/kubernetes/manifests/etcd.yaml && ! ls /etc/kubernetes/etcd-dr-parked/*.yaml 2>/dev/null");
        }
        // The staged snapshot and the journal's own copies: the restore is complete, so resume refuses now.
        var again = await lab.CliAsync("restore", "resume", "-i", lab.Inventory, "--state-dir", lab.StateDir);
        Assert.True(again.Exit == 2, $"{name}: resume of a finished restore: exit {again.Exit}, expected 2\n{again.Stderr}");
    }
}
