using System.Text.Json;
using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// What the container runtime says, through crictl, where it answers. Without an answering crictl
/// (none installed, runtime socket elsewhere) the runtimes fall back on the ports alone.
/// </summary>
public sealed class Crictl(MasterShell shell, string path)
{
    /// <summary>crictl from discovery when it found one, else whatever is on root's PATH.</summary>
    public static string PathFor(MasterTopology topology) =>
        topology.Etcdctl is { Kind: "crictl", Path: { } p } ? p
        : topology.Etcdutl is { Kind: "crictl", Path: { } q } ? q
        : "crictl";

    public string Path => path;

    /// <summary>IDs of running containers whose name matches the regex; null when crictl does not answer.</summary>
    public async Task<IReadOnlyList<string>?> RunningAsync(string nameRegex, CancellationToken ct)
    {
        var result = await shell.RunAsync([path, "ps", "--name", nameRegex, "-q"], ct).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null;
    }

    /// <summary>Containers (running or not) whose name matches, from `crictl ps -a -o json`, newest first.</summary>
    public async Task<IReadOnlyList<(string Id, string State, long CreatedAt)>> AllAsync(string nameRegex, CancellationToken ct)
    {
        var argv = new[] { path, "ps", "-a", "--name", nameRegex, "-o", "json" };
        var result = await shell.RunAsync(argv, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            throw new DrException($"{shell.Host.Name}: `{ShellQuote.Join(argv)}` exited {result.ExitCode}: {result.Stderr.Trim()}; the container runtime must answer crictl to run etcd's tools from its image", FailureKind.General);
        var found = new List<(string, string, long)>();
        using var json = JsonDocument.Parse(result.Stdout);
        if (json.RootElement.TryGetProperty("containers", out var containers) && containers.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in containers.EnumerateArray())
            {
                var created = c.TryGetProperty("createdAt", out var at) ? at.ValueKind == JsonValueKind.Number ? at.GetInt64() : long.TryParse(at.GetString(), out var n) ? n : 0 : 0;
                found.Add((c.GetProperty("id").GetString() ?? "", c.TryGetProperty("state", out var s) ? s.GetString() ?? "" : "", created));
            }
        }
        return found.OrderByDescending(c => c.Item3).ToList();
    }

    /// <summary>State ("CONTAINER_EXITED"...) and exit code from `crictl inspect ID`.</summary>
    public async Task<(string State, int ExitCode)> InspectAsync(string id, CancellationToken ct)
    {
        var result = await shell.MustAsync([path, "inspect", id], ct).ConfigureAwait(false);
        using var json = JsonDocument.Parse(result.Stdout);
        var status = json.RootElement.GetProperty("status");
        return (status.GetProperty("state").GetString() ?? "", status.TryGetProperty("exitCode", out var code) ? code.GetInt32() : 0);
    }

    public async Task<string> LogsAsync(string id, CancellationToken ct)
    {
        var result = await shell.RunAsync([path, "logs", id], ct).ConfigureAwait(false);
        return (result.Stdout + result.Stderr).Trim();
    }
}
