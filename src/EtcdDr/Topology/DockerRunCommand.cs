namespace EtcdDr.Topology;

/// <summary>A bind of a host path into a container (or pod); <see cref="HostPath"/> null for a volume with no host path.</summary>
/// <param name="Volume">The pod volume or docker volume name, for notes.</param>
public sealed record PathMount(string ContainerPath, string? HostPath, string Volume);

/// <summary>
/// `docker run ...` (or nerdctl/podman) as written in a unit's ExecStart or in Kubespray's
/// /usr/local/bin/etcd wrapper script: the options that matter for etcd (--name, -v/--mount binds,
/// --env-file, -e, -u), the image, and the command after it.
/// </summary>
public sealed record DockerRunCommand(
    string Engine, string? Name, string? Image, IReadOnlyList<PathMount> Mounts, IReadOnlyList<string> EnvFiles,
    IReadOnlyList<string> Environment, string? User, IReadOnlyList<string> Command)
{
    private static readonly HashSet<string> Engines = new(StringComparer.Ordinal) { "docker", "nerdctl", "podman" };

    /// <summary>Options that take no value; every other option takes one.</summary>
    private static readonly HashSet<string> BooleanOptions = new(StringComparer.Ordinal)
    {
        "-d", "--detach", "--rm", "-i", "--interactive", "-t", "--tty", "--privileged", "--init", "--read-only",
        "-P", "--publish-all", "--no-healthcheck", "--oom-kill-disable", "--sig-proxy", "--disable-content-trust", "-q", "--quiet",
    };

    /// <summary>The `run` command in <paramref name="words"/> (after exec, env, sudo), or null.</summary>
    public static DockerRunCommand? Find(IReadOnlyList<string> words)
    {
        for (var i = 0; i + 1 < words.Count; i++)
        {
            var program = Path.GetFileName(words[i]);
            if (Engines.Contains(program))
            {
                // Global options (-H host, --config dir) may sit between the engine and `run`.
                var run = i + 1;
                while (run < words.Count && words[run].StartsWith('-'))
                    run += words[run].Contains('=', StringComparison.Ordinal) ? 1 : 2;
                return run < words.Count && words[run] == "run" ? Parse(program, words.Skip(run + 1).ToList()) : null;
            }
            if (program is not ("exec" or "env" or "sudo" or "nice") && !words[i].Contains('=', StringComparison.Ordinal))
                return null;
        }
        return null;
    }

    private static DockerRunCommand Parse(string engine, IReadOnlyList<string> args)
    {
        string? name = null, user = null, image = null;
        var mounts = new List<PathMount>();
        var envFiles = new List<string>();
        var environment = new List<string>();
        var i = 0;
        for (; i < args.Count; i++)
        {
            var word = args[i];
            if (word == "--")
            {
                i++;
                break;
            }
            if (!word.StartsWith('-') || word == "-")
                break;
            string option, value;
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                (option, value) = (word[..eq], word[(eq + 1)..]);
            else if (BooleanOptions.Contains(word) || IsBooleanCluster(word))
                continue;
            else if (!word.StartsWith("--", StringComparison.Ordinal) && word.Length > 2)
                (option, value) = (word[..2], word[2..]); // -v/host:/path, -uetcd
            else if (i + 1 < args.Count)
                (option, value) = (word, args[++i]);
            else
                break;
            switch (option)
            {
                case "--name":
                    name = value;
                    break;
                case "-u" or "--user":
                    user = value;
                    break;
                case "--env-file":
                    envFiles.Add(value);
                    break;
                case "-e" or "--env":
                    environment.Add(value);
                    break;
                case "-v" or "--volume":
                    if (Volume(value) is { } volume)
                        mounts.Add(volume);
                    break;
                case "--mount":
                    if (Mount(value) is { } mount)
                        mounts.Add(mount);
                    break;
            }
        }
        if (i < args.Count)
            image = args[i++];
        return new DockerRunCommand(engine, name, image, mounts, envFiles, environment, user, args.Skip(i).ToList());
    }

    /// <summary>"-it", "-dit": single-letter boolean options run together.</summary>
    private static bool IsBooleanCluster(string word) =>
        word.Length > 2 && word[0] == '-' && word[1] != '-' && word[1..].All(c => c is 'd' or 'i' or 't' or 'P' or 'q');

    /// <summary>"/host:/container[:ro]" binds a host path; "name:/container" is a named volume (no host path here).</summary>
    private static PathMount? Volume(string spec)
    {
        var parts = spec.Split(':');
        if (parts.Length < 2)
            return new PathMount(spec, null, "anonymous volume");
        return parts[0].StartsWith('/') ? new PathMount(parts[1], parts[0], parts[0]) : new PathMount(parts[1], null, parts[0]);
    }

    /// <summary>"type=bind,source=/host,target=/container[,readonly]".</summary>
    private static PathMount? Mount(string spec)
    {
        var fields = spec.Split(',').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f.Length > 1 ? f[1] : "", StringComparer.Ordinal);
        var target = fields.GetValueOrDefault("target") ?? fields.GetValueOrDefault("destination") ?? fields.GetValueOrDefault("dst");
        var source = fields.GetValueOrDefault("source") ?? fields.GetValueOrDefault("src");
        if (target is null)
            return null;
        return fields.GetValueOrDefault("type", "volume") == "bind" && source is not null ? new PathMount(target, source, source) : new PathMount(target, null, source ?? "volume");
    }
}
