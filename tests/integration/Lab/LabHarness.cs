using EtcdDr.Cli;
using EtcdDr.Etcd;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Lab;

namespace EtcdDr.IntegrationTests.Lab;

/// <summary>Drives a lab the way an operator does: the etcd-dr CLI for lab verbs, real ssh for the masters, EtcdClient for etcd.</summary>
public sealed class LabHarness(string stateDirectory, string net, LabFlavor flavor, int masters = 3, params string[] upOptions)
{
    public const int SshPort = 2222;

    public string State { get; } = stateDirectory;
    public string Net { get; } = net;
    public LabFlavor Flavor { get; } = flavor;
    public int MasterCount { get; } = masters;
    public LabPaths Paths => new(State);

    public string Address(int index) => $"{Net}.{index}";
    public string Endpoint(int index) => $"https://{Address(index)}:2379";

    /// <summary>A fresh state folder under /tmp/etcd-dr-tests (not under /etc, /usr/local, /var/lib or /run, which masters overlay).</summary>
    public static string NewStateDirectory(string purpose) =>
        Path.Combine(Path.GetTempPath(), "etcd-dr-tests", $"lab-{purpose}-{Guid.NewGuid().ToString("N")[..8]}");

    public static async Task<(int Exit, string Stdout, string Stderr)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr), args, new System.CommandLine.InvocationConfiguration { Output = stdout, Error = stderr }).ConfigureAwait(false);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    public async Task<string> LabAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await CliAsync(["lab", .. args, "--state", State]).ConfigureAwait(false);
        Assert.True(exit == 0, $"etcd-dr lab {string.Join(' ', args)} exited {exit}\n{stdout}\n{stderr}");
        return stdout;
    }

    public Task UpAsync() => LabAsync(["up", "--flavor", Flavor.Name(), "--masters", MasterCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--net", Net, "--ssh-port", SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--timeout", "60", "--output", "json", .. upOptions]);

    /// <summary>Real OpenSSH with the lab's key and known_hosts, strict host key checking, no user config.</summary>
    public Task<ProcessResult> SshAsync(int index, string command, int connectTimeoutSeconds = 5) => SshToAsync(Address(index), command, connectTimeoutSeconds);

    /// <summary>ssh to an address (a replaced master's new one, say).</summary>
    public Task<ProcessResult> SshToAsync(string address, string command, int connectTimeoutSeconds = 5) =>
        ProcessRunner.RunAsync(
            Prerequisites.Require("ssh", "apt-get install openssh-client"),
            ["-F", "/dev/null", "-i", Paths.ClientKey, "-o", "IdentitiesOnly=yes", "-o", "UserKnownHostsFile=" + Paths.KnownHosts,
             "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", $"ConnectTimeout={connectTimeoutSeconds}",
             "-p", SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "root@" + address, command],
            new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(60) });

    public async Task<string> SshOkAsync(int index, string command) =>
        (await SshAsync(index, command).ConfigureAwait(false)).EnsureSuccess($"ssh master-{index} {command}").Stdout;

    public EtcdClient Client(params int[] indexes) => new(new EtcdConnectionOptions(
        [.. (indexes.Length == 0 ? Enumerable.Range(1, MasterCount) : indexes).Select(i => new Uri(Endpoint(i)))],
        EtcdTls.FromFiles(Paths.ClientCa, Paths.ClientCert, Paths.ClientCertKey),
        DialTimeout: TimeSpan.FromSeconds(1), CallTimeout: TimeSpan.FromSeconds(2)));

    /// <summary>The member answers Status over TLS and knows a leader.</summary>
    public async Task<bool> MemberHealthyAsync(int index)
    {
        using var client = Client(index);
        var status = (await client.StatusAllAsync(CancellationToken.None).ConfigureAwait(false)).Single();
        return status.Healthy && status.Status!.Leader != 0;
    }

    public async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"{what} did not happen within {timeout.TotalSeconds:0} s; lab status:\n{(await CliAsync("lab", "status", "--state", State, "--output", "table").ConfigureAwait(false)).Stdout}");
            await Task.Delay(250).ConfigureAwait(false);
        }
    }

    public Task WaitHealthyAsync(int index, int seconds = 45) => WaitAsync(() => MemberHealthyAsync(index), TimeSpan.FromSeconds(seconds), $"master-{index} healthy");

    public Task WaitDownAsync(int index, int seconds = 15) => WaitAsync(async () => !await MemberHealthyAsync(index).ConfigureAwait(false), TimeSpan.FromSeconds(seconds), $"master-{index} unreachable");

    /// <summary>
    /// Live processes that still belong to the lab, found independently of the lab code: the state
    /// folder in their command line, or the lab's marker variable in their environment.
    /// </summary>
    public IReadOnlyList<string> LeftoverProcesses()
    {
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => Path.GetFileName(d).All(char.IsAsciiDigit)))
        {
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var environ = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                if (cmdline.Contains(State, StringComparison.Ordinal) || environ.Contains($"ETCD_DR_LAB_STATE={State}"))
                    found.Add($"{Path.GetFileName(dir)}: {cmdline}");
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }
}
