using EtcdDr.Remote;

namespace EtcdDr.Topology;

/// <summary>
/// Which container CLI on a master can run etcdctl/etcdutl from the etcd image. A CLI on disk is
/// not enough: a docker CLI left on a containerd master (or installed for something else) has no
/// engine behind it, and a restore that counted on it would fail half-way. So a CLI is offered
/// only when its engine answers, and the reason is noted when none does.
/// </summary>
public static class ContainerEngineProbe
{
    /// <summary>Long enough for a loaded runtime to answer, short enough that a dead socket does
    /// not hold discovery up.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The first CLI (by path, from <paramref name="candidates"/>) whose engine answers, in
    /// the order the flavor runs etcd with: crictl for kubeadm (kubelet's runtime), docker for
    /// Kubespray's docker deployment.</summary>
    public static async Task<(EtcdTool? Tool, IReadOnlyList<string> Notes)> FindAsync(IRemoteHost host, EtcdFlavor flavor, string image,
        IReadOnlyDictionary<string, string> candidates, CancellationToken ct)
    {
        string[] order = flavor == EtcdFlavor.KubesprayDocker ? ["docker", "crictl"] : ["crictl", "docker"];
        var notes = new List<string>();
        foreach (var kind in order)
        {
            if (!candidates.TryGetValue(kind, out var path))
                continue;
            var why = await WhyNotAnsweringAsync(host, kind, path, ct).ConfigureAwait(false);
            if (why is null)
                return (new EtcdTool(kind, path, image), notes);
            notes.Add($"{path} is installed but its engine does not answer ({why}); etcdctl/etcdutl from the etcd image are not offered through it");
        }
        return (null, notes);
    }

    /// <summary>The version commands below ask the engine itself (docker's Server part, crictl's
    /// RuntimeVersion), so they fail when only the CLI is there. Null when the engine answered.</summary>
    private static async Task<string?> WhyNotAnsweringAsync(IRemoteHost host, string kind, string path, CancellationToken ct)
    {
        IReadOnlyList<string> argv = kind == "docker" ? [path, "version", "--format", "{{.Server.Version}}"] : [path, "version"];
        try
        {
            var result = await host.RunAsync(argv, new RemoteRunOptions(Privileged: true, Timeout: Timeout), ct).ConfigureAwait(false);
            if (result.ExitCode == 0 && result.Stdout.Trim().Length > 0)
                return null;
            var said = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no output";
            return $"`{ShellQuote.Join(argv)}` exited {result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {said}";
        }
        catch (RemoteException ex) when (ex.Failure == RemoteFailure.TimedOut)
        {
            return $"`{ShellQuote.Join(argv)}` gave no answer within {Timeout.TotalSeconds:0} s";
        }
    }
}
