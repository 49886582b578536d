using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using EtcdDr.Etcd;

namespace EtcdDr.Lab;

/// <summary>
/// What the lab kubelet runs for the kube-apiserver, kube-controller-manager and kube-scheduler
/// images: a process that does to etcd what the real one does that matters to a restore. It holds a
/// TLS connection to etcd with the manifest's certificates and writes its lease key
/// /registry/leases/kube-system/COMPONENT-MASTER every second, so a restore must stop it before
/// touching etcd and start it afterwards. The stand-in kube-apiserver also accepts plain TCP on
/// --advertise-address:--secure-port, so "is it stopped" is checkable with `ss`. The controller
/// manager and scheduler write through the API server in reality: their stand-ins find it with
/// their --kubeconfig, write only while it accepts connections, and reach the etcd on its host with
/// the API server's etcd client certificate. A failed write is logged and retried a second later,
/// as the real ones retry; the process never exits for it. SIGTERM ends it.
/// </summary>
public static partial class ControlPlaneStandIn
{
    public const string LeasePrefix = "/registry/leases/kube-system/";
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    public static string LeaseKey(string component, string master) => LeasePrefix + component + "-" + master;

    public static async Task<int> RunAsync(string component, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        if (!ControlPlaneManifests.Components.Contains(component))
            throw new DrException($"no stand-in for '{component}'; the lab has {string.Join(", ", ControlPlaneManifests.Components)}", FailureKind.Usage);
        var flags = Flags(arguments);
        var master = Dns.GetHostName();
        var key = LeaseKey(component, master);
        Log($"stand-in {component} on {master} (pid {Environment.ProcessId}), lease {key}");

        using var listener = component == ControlPlaneManifests.ApiServer ? Listen(flags) : null;
        var accepting = listener is null ? Task.CompletedTask : AcceptLoopAsync(listener, ct);
        EtcdClient? client = null;
        string? lastError = null;
        var failures = 0;
        var written = false;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    var target = Target(component, flags);
                    if (target.ApiServer is { } api && !await AcceptsAsync(api, ct).ConfigureAwait(false))
                        throw new IOException($"the API server https://{api.Host}:{api.Port} does not answer");
                    client ??= new EtcdClient(new EtcdConnectionOptions(target.Endpoints,
                        EtcdTls.FromFiles(target.Ca, target.Cert, target.Key), DialTimeout: TimeSpan.FromSeconds(2), CallTimeout: TimeSpan.FromSeconds(2)));
                    await client.PutAsync(key, Lease(component, master), ct).ConfigureAwait(false);
                    if (lastError is not null || !written)
                        Log($"lease {key} written" + (lastError is null ? "" : $" again after {failures} failed attempts"));
                    written = true;
                    lastError = null;
                    failures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    failures++;
                    var message = ex is DrException or IOException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}";
                    // One line per change of error, and one every 30 tries while it lasts: no log flood.
                    if (message != lastError || failures % 30 == 0)
                        Log($"writing lease {key} failed ({failures}): {message}; retrying every second");
                    lastError = message;
                    client?.Dispose();
                    client = null;
                }
                await Task.Delay(Period, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            client?.Dispose();
            listener?.Stop();
        }
        try
        {
            await accepting.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        Log($"stand-in {component} stopping (SIGTERM)");
        return 0;
    }

    private sealed record EtcdTarget(IReadOnlyList<Uri> Endpoints, string Ca, string Cert, string Key, DnsEndPoint? ApiServer);

    private static EtcdTarget Target(string component, IReadOnlyDictionary<string, string> flags)
    {
        if (component == ControlPlaneManifests.ApiServer)
        {
            return new EtcdTarget(
                EtcdConnectionOptions.ParseEndpoints([Required(flags, "etcd-servers")], tls: true),
                Required(flags, "etcd-cafile"), Required(flags, "etcd-certfile"), Required(flags, "etcd-keyfile"), null);
        }
        var kubeconfig = Required(flags, "kubeconfig");
        if (!File.Exists(kubeconfig))
            throw new IOException($"{kubeconfig} does not exist");
        var server = ServerLine().Match(File.ReadAllText(kubeconfig));
        if (!server.Success)
            throw new IOException($"{kubeconfig} names no https server");
        var host = server.Groups["host"].Value;
        return new EtcdTarget(
            [new Uri($"https://{host}:{LabSpec.EtcdClientPort}")],
            "/etc/kubernetes/pki/etcd/ca.crt", "/etc/kubernetes/pki/apiserver-etcd-client.crt", "/etc/kubernetes/pki/apiserver-etcd-client.key",
            new DnsEndPoint(host, int.Parse(server.Groups["port"].Value, CultureInfo.InvariantCulture)));
    }

    [GeneratedRegex(@"^\s*server:\s*https://(?<host>[^:/\s]+):(?<port>\d+)", RegexOptions.Multiline)]
    private static partial Regex ServerLine();

    private static string Required(IReadOnlyDictionary<string, string> flags, string name) =>
        flags.GetValueOrDefault(name) ?? throw new DrException($"the manifest gives no --{name}", FailureKind.Usage);

    private static string Lease(string component, string master) => new System.Text.Json.Nodes.JsonObject
    {
        ["kind"] = "Lease",
        ["apiVersion"] = "coordination.k8s.io/v1",
        ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = component + "-" + master, ["namespace"] = "kube-system" },
        ["spec"] = new System.Text.Json.Nodes.JsonObject { ["holderIdentity"] = $"{master}_{Environment.ProcessId}", ["leaseDurationSeconds"] = 15, ["renewTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture) },
    }.ToJsonString();

    private static TcpListener? Listen(IReadOnlyDictionary<string, string> flags)
    {
        var address = IPAddress.Parse(Required(flags, "advertise-address"));
        var port = int.Parse(flags.GetValueOrDefault("secure-port") ?? "6443", CultureInfo.InvariantCulture);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var listener = new TcpListener(address, port);
                listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Start();
                Log($"listening on {address}:{port}");
                return listener;
            }
            catch (SocketException ex) when (attempt < 30)
            {
                // The previous instance may still be closing its socket.
                Log($"cannot listen on {address}:{port} yet ({ex.SocketErrorCode}); retrying");
                Thread.Sleep(1000);
            }
        }
    }

    private static async Task AcceptLoopAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            using var client = await listener.AcceptTcpClientAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task<bool> AcceptsAsync(DnsEndPoint endpoint, CancellationToken ct)
    {
        using var tcp = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await tcp.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is SocketException || ex is OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>"--flag=value" words, keyed without dashes (kubeadm writes every flag that way).</summary>
    public static IReadOnlyDictionary<string, string> Flags(IEnumerable<string> arguments)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in arguments.Where(w => w.StartsWith("--", StringComparison.Ordinal)))
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            flags[eq > 0 ? word[2..eq] : word[2..]] = eq > 0 ? word[(eq + 1)..] : "true";
        }
        return flags;
    }

    private static void Log(string line) => Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} {line}");
}
