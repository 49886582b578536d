using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EtcdDr.Lab;

/// <summary>
/// The stand-in `crictl` of a kubeadm master (/usr/local/bin/crictl runs `etcd-dr lab crictl`, which
/// asks the init): `version`, `ps [-a] [--name REGEX] [--state running|exited] [-q] [-o json|table]`,
/// `inspect ID...` and `logs ID`, with real crictl's JSON shapes and exit codes (1 and a message for
/// an unknown container). IDs may be given as a unique prefix, as containerd allows. Nothing that
/// changes containers (exec, runp, stop, rm): the kubelet and the manifests decide what runs.
/// </summary>
public sealed class LabCrictl(PodRuntime runtime)
{
    public const string RuntimeName = "etcd-dr-lab";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public ControlReply Handle(IReadOnlyList<string> args)
    {
        // Global options before the verb (--runtime-endpoint, --timeout ...) mean nothing here.
        var i = 0;
        while (i < args.Count && args[i].StartsWith('-'))
            i += args[i].Contains('=', StringComparison.Ordinal) || i + 1 >= args.Count ? 1 : 2;
        if (i >= args.Count)
            return new ControlReply(1, "", "crictl (etcd-dr lab stand-in): give a command: version, ps, inspect, logs\n");
        var verb = args[i];
        var rest = args.Skip(i + 1).ToList();
        return verb switch
        {
            "version" => new ControlReply(0, $"Version:  0.1.0\nRuntimeName:  {RuntimeName}\nRuntimeVersion:  {typeof(LabCrictl).Assembly.GetName().Version}\nRuntimeApiVersion:  v1\n"),
            "ps" => Ps(rest),
            "inspect" => Inspect(rest),
            "logs" => Logs(rest),
            _ => new ControlReply(1, "", $"crictl (etcd-dr lab stand-in): '{verb}' is not supported here; the lab offers version, ps, inspect, logs\n"),
        };
    }

    private ControlReply Ps(List<string> args)
    {
        bool all = false, quiet = false, json = false;
        string? name = null, state = null;
        for (var i = 0; i < args.Count; i++)
        {
            var (flag, inline) = Split(args[i]);
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new FormatException($"flag needs an argument: {flag}"));
            try
            {
                switch (flag)
                {
                    case "-a" or "--all": all = true; break;
                    case "-q" or "--quiet": quiet = true; break;
                    case "--name": name = Value(); break;
                    case "-s" or "--state": state = Value().ToLowerInvariant(); break;
                    case "-o" or "--output":
                        var format = Value();
                        if (format is not ("json" or "table"))
                            return new ControlReply(1, "", $"unsupported output format \"{format}\" (the lab has json and table)\n");
                        json = format == "json";
                        break;
                    default:
                        return new ControlReply(1, "", $"flag provided but not defined: {flag}\n");
                }
            }
            catch (FormatException ex)
            {
                return new ControlReply(1, "", ex.Message + "\n");
            }
        }
        if (state is not (null or "running" or "exited"))
            return new ControlReply(1, "", $"--state should be one of running, exited (the lab creates no others), not \"{state}\"\n");
        Regex? pattern;
        try
        {
            pattern = name is null ? null : new Regex(name, RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            return new ControlReply(1, "", $"--name: invalid regular expression: {ex.Message}\n");
        }
        var selected = runtime.Containers().Where(x =>
            (state is null ? all || x.Container.Running : (state == "running") == x.Container.Running)
            && (pattern is null || pattern.IsMatch(x.Container.Name))).Reverse().ToList(); // newest first, as crictl sorts
        if (quiet)
            return new ControlReply(0, string.Concat(selected.Select(x => x.Container.Id + "\n")));
        if (json)
            return new ControlReply(0, new JsonObject { ["containers"] = new JsonArray([.. selected.Select(x => PsJson(x.Pod, x.Container))]) }.ToJsonString(Indented) + "\n");
        var table = new StringBuilder();
        table.Append(Row("CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"));
        foreach (var (pod, c) in selected)
            table.Append(Row(c.Id[..13], c.Image ?? "", Ago(c.CreatedAt), c.Running ? "Running" : "Exited", c.Name, c.Attempt.ToString(CultureInfo.InvariantCulture), pod.SandboxId[..13], PodName(pod)));
        return new ControlReply(0, table.ToString());
    }

    private ControlReply Inspect(List<string> args)
    {
        var ids = args.Where(a => !a.StartsWith('-')).ToList();
        if (ids.Count == 0)
            return new ControlReply(1, "", "ID cannot be empty\n");
        var output = new StringBuilder();
        foreach (var id in ids)
        {
            if (Resolve(id) is not { } found)
                return NotFound(id, output.ToString(), $"getting the status of the container \"{id}\"");
            var (pod, c) = found;
            output.Append(new JsonObject
            {
                ["status"] = new JsonObject
                {
                    ["id"] = c.Id,
                    ["metadata"] = new JsonObject { ["attempt"] = c.Attempt, ["name"] = c.Name },
                    ["state"] = State(c),
                    ["createdAt"] = Rfc3339(c.CreatedAt),
                    ["startedAt"] = Rfc3339(c.CreatedAt),
                    ["finishedAt"] = c.FinishedAt is { } f ? Rfc3339(f) : "0001-01-01T00:00:00Z",
                    ["exitCode"] = c.ExitCode ?? 0,
                    ["image"] = new JsonObject { ["image"] = c.Image ?? "" },
                    ["imageRef"] = c.Image ?? "",
                    ["reason"] = c.Running ? "" : c.ExitCode == 0 ? "Completed" : "Error",
                    ["labels"] = Labels(pod, c),
                    ["logPath"] = c.LogFile,
                },
                ["info"] = new JsonObject { ["sandboxID"] = c.PodSandboxId, ["pid"] = c.Running ? c.Process.Pid : 0 },
            }.ToJsonString(Indented)).Append('\n');
        }
        return new ControlReply(0, output.ToString());
    }

    private ControlReply Logs(List<string> args)
    {
        var ids = args.Where(a => !a.StartsWith('-')).ToList();
        if (ids.Count != 1)
            return new ControlReply(1, "", "ID cannot be empty\n");
        if (Resolve(ids[0]) is not { } found)
            return NotFound(ids[0], "", "failed to get container status");
        var c = found.Container;
        try
        {
            using var file = new FileStream(c.LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var end = c.LogEnd ?? file.Length;
            file.Seek(c.LogStart, SeekOrigin.Begin);
            var buffer = new byte[Math.Max(0, end - c.LogStart)];
            file.ReadExactly(buffer);
            return new ControlReply(0, Encoding.UTF8.GetString(buffer));
        }
        catch (IOException ex)
        {
            return new ControlReply(1, "", $"failed to read the log of container \"{c.Id}\": {ex.Message}\n");
        }
    }

    private (PodRuntime.Pod Pod, LabContainer Container)? Resolve(string id)
    {
        var matches = runtime.Containers().Where(x => x.Container.Id.StartsWith(id, StringComparison.Ordinal)).ToList();
        return id.Length > 0 && matches.Count == 1 ? matches[0] : null;
    }

    private static ControlReply NotFound(string id, string stdout, string what) =>
        new(1, stdout, $"{what}: rpc error: code = NotFound desc = an error occurred when try to find container \"{id}\": not found\n");

    // JsonObject rather than anonymous types: the published binary is Native AOT, where
    // reflection-based serialization is off.
    private static JsonObject PsJson(PodRuntime.Pod pod, LabContainer c) => new()
    {
        ["id"] = c.Id,
        ["podSandboxId"] = c.PodSandboxId,
        ["metadata"] = new JsonObject { ["name"] = c.Name, ["attempt"] = c.Attempt },
        ["image"] = new JsonObject { ["image"] = c.Image ?? "" },
        ["imageRef"] = c.Image ?? "",
        ["state"] = State(c),
        ["createdAt"] = ((c.CreatedAt - DateTimeOffset.UnixEpoch).Ticks * 100).ToString(CultureInfo.InvariantCulture),
        ["labels"] = Labels(pod, c),
    };

    private static JsonObject Labels(PodRuntime.Pod pod, LabContainer c) => new()
    {
        ["io.kubernetes.container.name"] = c.Name,
        ["io.kubernetes.pod.name"] = PodName(pod),
        ["io.kubernetes.pod.namespace"] = "kube-system",
        ["io.kubernetes.pod.uid"] = pod.SandboxId[..32],
    };

    /// <summary>The kubelet names a static pod NAME-NODENAME.</summary>
    private static string PodName(PodRuntime.Pod pod) => pod.Manifest.PodName + "-" + Environment.MachineName;

    private static string State(LabContainer c) => c.Running ? "CONTAINER_RUNNING" : "CONTAINER_EXITED";

    private static string Rfc3339(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffff00Z", CultureInfo.InvariantCulture);

    private static (string Flag, string? Inline) Split(string arg)
    {
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        return arg.StartsWith('-') && eq > 0 ? (arg[..eq], arg[(eq + 1)..]) : (arg, null);
    }

    // crictl's tabwriter: columns at least 20 wide and 3 spaces apart.
    private static string Row(params string[] cells) => string.Concat(cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(Math.Max(20, c.Length + 3)))) + "\n";

    private static string Ago(DateTimeOffset time)
    {
        var age = DateTimeOffset.UtcNow - time;
        return age.TotalSeconds < 60 ? $"{(int)age.TotalSeconds} seconds ago" : age.TotalMinutes < 60 ? $"{(int)age.TotalMinutes} minutes ago" : $"{(int)age.TotalHours} hours ago";
    }
}
