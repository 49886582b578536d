using System.Globalization;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>
/// Issue 10: `lab down` kills the lab's processes and nothing else. It runs from inside a real
/// shell (under `timeout`) whose command line names the state folder, next to processes that also
/// mention it: a `sleep` with the folder in its argv, one with a file under it open, two that look
/// like another lab in STATE + "2", and one started by an operator who exported ETCD_DR_LAB_STATE.
/// Before the fix `lab down` killed its own caller (exit 137) and every one of them.
/// </summary>
[Collection(LabNet112Collection.Name)]
public sealed class LabDownScopeTests
{
    private const string Script = """
        set -u
        S="$1"; S2="$2"; ETCDDR="$3"
        echo notes > "$S/notes.txt"
        (exec -a "$S/sleep" sleep 300 >/dev/null 2>&1) & echo "sibling argv $!"
        sleep 300 3<"$S/notes.txt" >/dev/null 2>&1 & echo "sibling open-file $!"
        (exec -a "$S2/sleep" sleep 300 >/dev/null 2>&1) & echo "sibling other-lab-argv $!"
        ETCD_DR_LAB_STATE="$S2" ETCD_DR_LAB_MASTER=master-1 sleep 300 >/dev/null 2>&1 & echo "sibling other-lab-env $!"
        ETCD_DR_LAB_STATE="$S" sleep 300 >/dev/null 2>&1 & echo "sibling operator-export $!"
        "$ETCDDR" lab down --state "$S"
        echo "down-exit $?"
        """;

    // Every sibling lets go of the shell's stdout, or reading it would wait for them.

    [Fact]
    public async Task Down_from_a_shell_that_names_the_state_folder_kills_only_lab_processes()
    {
        var lab = new LabHarness(LabHarness.NewStateDirectory("scope"), TestNets.Net(112), LabFlavor.Kubespray, masters: 1);
        var siblings = new Dictionary<string, int>();
        try
        {
            await lab.UpAsync();
            var labProcesses = lab.LeftoverProcesses();
            Assert.NotEmpty(labProcesses);
            var labPids = labProcesses.Select(l => int.Parse(l[..l.IndexOf(':')], CultureInfo.InvariantCulture)).ToList();

            var etcdDr = Path.Combine(AppContext.BaseDirectory, "etcd-dr");
            var result = await ProcessRunner.RunAsync(Prerequisites.Require("timeout", "apt-get install coreutils"),
                ["120", Prerequisites.Require("bash", "apt-get install bash"), "-c", Script, lab.State + "/caller", lab.State, lab.State + "2", etcdDr],
                new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(150) });
            foreach (var line in result.Stdout.Split('\n').Where(l => l.StartsWith("sibling ", StringComparison.Ordinal)))
            {
                var parts = line.Split(' ');
                siblings[parts[1]] = int.Parse(parts[2], CultureInfo.InvariantCulture);
            }

            Assert.True(result.ExitCode == 0, $"the calling shell exited {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
            Assert.Contains("down-exit 0", result.Stdout, StringComparison.Ordinal);
            Assert.Equal(5, siblings.Count);
            foreach (var (what, pid) in siblings)
                Assert.True(ProcessIdentity.Of(pid) is not null && !LabProcessTable.IsZombie(pid), $"the {what} sibling (pid {pid}) was killed");
            Assert.All(labPids, pid => Assert.False(ProcessIdentity.Of(pid) is not null && !LabProcessTable.IsZombie(pid), $"lab process {pid} survived"));
            var survivors = lab.LeftoverProcesses().Where(l => !siblings.Values.Any(p => l.StartsWith(p.ToString(CultureInfo.InvariantCulture) + ":", StringComparison.Ordinal))).ToList();
            Assert.True(survivors.Count == 0, "lab processes survived: " + string.Join("; ", survivors));
            Assert.False(Directory.Exists(lab.State));
        }
        finally
        {
            foreach (var pid in siblings.Values)
                LabNativeKill(pid);
            await LabHarness.CliAsync("lab", "down", "--state", lab.State);
        }
    }

    private static void LabNativeKill(int pid)
    {
        try
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}
