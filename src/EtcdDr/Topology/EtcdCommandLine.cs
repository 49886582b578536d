namespace EtcdDr.Topology;

/// <summary>
/// etcd's command line as etcd itself reads it (Go's flag package): <c>-flag</c> and <c>--flag</c>
/// alike, <c>=value</c> or the next word as value, boolean flags never taking the next word, and
/// parsing ending at <c>--</c> or the first word that is not a flag. A command given to a shell
/// (<c>sh -c "exec etcd --name m1 ..."</c>) is split as the shell would, so its flags count too.
/// </summary>
public static class EtcdCommandLine
{
    /// <summary>etcd's boolean flags: "--client-cert-auth true" makes "true" a stray argument, not a value.</summary>
    private static readonly HashSet<string> Booleans = new(StringComparer.Ordinal)
    {
        "auto-tls", "peer-auto-tls", "client-cert-auth", "peer-client-cert-auth", "force-new-cluster", "enable-v2",
        "strict-reconfig-check", "enable-pprof", "debug", "pre-vote", "enable-grpc-gateway", "socket-reuse-port",
        "socket-reuse-address", "unsafe-no-fsync", "version", "help", "experimental-initial-corrupt-check",
        "experimental-enable-lease-checkpoint", "experimental-enable-lease-checkpoint-persist", "experimental-memory-mlock",
        "experimental-enable-distributed-tracing", "experimental-compact-hash-check-enabled", "experimental-peer-skip-client-san-verification",
        "experimental-stop-grpc-service-on-defrag", "experimental-txn-mode-write-with-shared-buffer", "experimental-enable-v2v3",
        "peer-skip-client-san-verification",
    };

    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "dash", "ash", "busybox" };

    /// <summary>
    /// The words after the etcd program in <paramref name="command"/> (argv as kubelet or systemd runs
    /// it), looking through <c>sh -c</c>, <c>exec</c>, <c>env</c> and leading VAR=value assignments. Null
    /// when no etcd program is found.
    /// </summary>
    public static IReadOnlyList<string>? EtcdArguments(IReadOnlyList<string> command) => FindEtcd(command)?.Arguments;

    /// <summary>The etcd program as written (a path or "etcd") and its arguments; see <see cref="EtcdArguments"/>.</summary>
    public static (string Program, IReadOnlyList<string> Arguments)? FindEtcd(IReadOnlyList<string> command)
    {
        for (var i = 0; i < command.Count; i++)
        {
            var program = Path.GetFileName(command[i]);
            if (program == "etcd")
                return (command[i], command.Skip(i + 1).ToList());
            if (Shells.Contains(program))
            {
                // sh -c 'script' [name args...]; -c may come with other options (-ec, -x -c).
                var c = IndexOfCommandOption(command, i + 1);
                if (c < 0 || c + 1 >= command.Count)
                    return null;
                foreach (var inner in ShellWords.Commands(command[c + 1]))
                {
                    if (FindEtcd(inner) is { } found)
                        return found;
                }
                return null;
            }
            if (program is "exec" or "env" or "nice" or "ionice" or "chrt" or "taskset" || command[i].StartsWith('-') || IsAssignment(command[i]))
                continue;
            return null;
        }
        return null;
    }

    /// <summary>Flags by name without dashes; later occurrences win, as in Go's flag package.</summary>
    public static IReadOnlyDictionary<string, string> Flags(IReadOnlyList<string> arguments)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < arguments.Count; i++)
        {
            var word = arguments[i];
            if (word == "--" || !IsFlag(word))
                break;
            var name = word.StartsWith("--", StringComparison.Ordinal) ? word[2..] : word[1..];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                flags[name[..eq]] = name[(eq + 1)..];
            else if (Booleans.Contains(name) || i + 1 >= arguments.Count || IsFlag(arguments[i + 1]))
                flags[name] = "true";
            else
                flags[name] = arguments[++i];
        }
        return flags;
    }

    /// <summary>"ETCD_INITIAL_CLUSTER_STATE" to "initial-cluster-state"; null for other variables.</summary>
    public static string? FlagOfVariable(string variable) =>
        variable.StartsWith("ETCD_", StringComparison.Ordinal) && variable.Length > 5
            ? variable[5..].ToLowerInvariant().Replace('_', '-') : null;

    private static bool IsFlag(string word) => word.Length > 1 && word[0] == '-' && word != "--" && word[1] != '=';

    private static bool IsAssignment(string word) =>
        word.IndexOf('=', StringComparison.Ordinal) is > 0 and var eq && word[..eq].All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static int IndexOfCommandOption(IReadOnlyList<string> words, int from)
    {
        for (var i = from; i < words.Count && words[i].StartsWith('-'); i++)
        {
            if (!words[i].StartsWith("--", StringComparison.Ordinal) && words[i].Contains('c', StringComparison.Ordinal))
                return i;
        }
        return -1;
    }
}
