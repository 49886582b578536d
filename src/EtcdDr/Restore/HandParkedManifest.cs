using EtcdDr.Remote;
using EtcdDr.Topology;

namespace EtcdDr.Restore;

/// <summary>
/// A kubeadm master whose etcd was stopped by hand the usual way, `mv /etc/kubernetes/manifests/etcd.yaml
/// /etc/kubernetes/`, cannot be discovered (no manifest where kubelet looks). The restore reads it from
/// there instead, and its first step on that master moves it to the runtime's parking place, where
/// the runtime's start finds it.
/// </summary>
public static class HandParkedManifest
{
    public const string Path = "/etc/kubernetes/etcd.yaml";
    public const string Note = "etcd manifest parked by hand at " + Path;

    public static bool Applies(MasterTopology t) => t.Notes.Contains(Note);

    /// <summary>Discovery through a view of the host in which the parked manifest is where kubelet looks; null when there is none.</summary>
    public static async Task<MasterTopology?> DiscoverAsync(IRemoteHost host, CancellationToken ct)
    {
        if (!await host.ExistsAsync(Path, true, ct).ConfigureAwait(false))
            return null;
        var view = new RedirectingHost(host, TopologyDetector.KubeadmManifest, Path);
        var topology = await TopologyDetector.DetectAsync(view, ct).ConfigureAwait(false);
        var text = System.Text.Encoding.UTF8.GetString(await host.ReadFileAsync(Path, true, ct).ConfigureAwait(false));
        return topology with { Notes = [.. topology.Notes, Note], ConfigText = text };
    }

    /// <summary>Every argument naming <paramref name="from"/> names <paramref name="to"/> instead; read-only use only.</summary>
    private sealed class RedirectingHost(IRemoteHost inner, string from, string to) : IRemoteHost
    {
        public string Name => inner.Name;

        private IReadOnlyList<string> Map(IReadOnlyList<string> argv) => argv.Select(a => a == from ? to : a).ToList();

        public async Task<ProcessResult> RunAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, CancellationToken ct)
        {
            var result = await inner.RunAsync(Map(argv), options, ct).ConfigureAwait(false);
            // `ls -1d -- paths` prints the names it found: show the parked one under the name asked for.
            return result with { Stdout = result.Stdout.Replace(to + "\n", from + "\n", StringComparison.Ordinal) };
        }

        public Task StreamOutAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdout, CancellationToken ct) =>
            inner.StreamOutAsync(Map(argv), options, stdout, ct);

        public Task StreamInAsync(IReadOnlyList<string> argv, RemoteRunOptions? options, Func<Stream, CancellationToken, Task> stdin, CancellationToken ct) =>
            throw new NotSupportedException("discovery only reads");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
