namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// Waiting for static pods to go after their manifests were parked. Only a running kubelet stops a
/// pod whose manifest left; with kubelet stopped (a control plane stopped first, or a crash between
/// steps) the container keeps running. Then kubelet is started for the wait, which with the
/// manifests parked can only stop pods, and stopped again afterwards.
/// </summary>
public sealed class KubeletPods(MasterShell shell, Crictl crictl, bool hasKubelet)
{
    public async Task WaitGoneAsync(string what, IReadOnlyList<Endpoint> endpoints, string containerRegex, CancellationToken ct)
    {
        var startedKubelet = false;
        var crictlAnswers = true;
        await shell.WaitUntilAsync(what, shell.Options.StopTimeout, async token =>
        {
            var why = new List<string>();
            var listening = await shell.ListeningOfAsync(endpoints, token).ConfigureAwait(false);
            if (listening.Count > 0)
                why.Add($"{string.Join(", ", listening)} still listening");
            if (crictlAnswers)
            {
                var running = await crictl.RunningAsync(containerRegex, token).ConfigureAwait(false);
                crictlAnswers = running is not null;
                if (running is { Count: > 0 })
                    why.Add($"container {string.Join(", ", running)} still running");
            }
            if (why.Count == 0)
                return null;
            if (hasKubelet && !startedKubelet && await shell.UnitStateAsync("kubelet", token).ConfigureAwait(false) != "active")
            {
                await shell.MustAsync(["systemctl", "start", "kubelet"], token).ConfigureAwait(false);
                startedKubelet = true;
            }
            return string.Join("; ", why);
        }, ct).ConfigureAwait(false);
        if (startedKubelet)
            await shell.MustAsync(["systemctl", "stop", "kubelet"], ct).ConfigureAwait(false);
    }

    public static string DescribeWait(IReadOnlyList<Endpoint> endpoints, string crictlPath, string containerRegex) =>
        $"wait until {(endpoints.Count == 0 ? "" : string.Join(" and ", endpoints) + " no longer listen (ss -Hltn) and ")}`{crictlPath} ps --name '{containerRegex}' -q` is empty where crictl answers " +
        "(kubelet is started for the wait if it is stopped, and stopped again after)";
}
