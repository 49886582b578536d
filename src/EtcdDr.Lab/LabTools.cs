namespace EtcdDr.Lab;

/// <summary>The host programs the lab runs, found on PATH or in the sbin folders, with the Debian package that has each.</summary>
public static class LabTools
{
    private static readonly string[] ExtraDirectories = ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    public static readonly IReadOnlyDictionary<string, string> Packages = new Dictionary<string, string>
    {
        ["etcd"] = "etcd-server",
        ["etcdctl"] = "etcd-client",
        ["sshd"] = "openssh-server",
        ["ssh-keygen"] = "openssh-client",
        ["unshare"] = "util-linux",
        ["setsid"] = "util-linux",
        ["mount"] = "mount",
        ["iptables"] = "iptables",
        ["dockerd"] = "docker.io",
        ["docker"] = "docker.io",
        ["ldd"] = "libc-bin",
    };

    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(ExtraDirectories)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    private static readonly Lazy<string> HostEtcdVersion = new(ReadHostEtcdVersion);

    /// <summary>
    /// The release of the host's etcd, which every lab master runs. The kubeadm manifest's image tag
    /// and Kubespray's env file header name it, so discovery reads the truth and a restore picks the
    /// tool that fits (etcdctl for 3.4, etcdutl from 3.5). Read once, on the host: the lab's own binary.
    /// </summary>
    public static string EtcdVersion() => HostEtcdVersion.Value;

    private static string ReadHostEtcdVersion()
    {
        var info = new System.Diagnostics.ProcessStartInfo(Require("etcd"), "--version") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(info) ?? throw new DrException("could not run etcd --version", FailureKind.General);
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var match = System.Text.RegularExpressions.Regex.Match(output, @"etcd Version:\s*(\d+\.\d+\.\d+)");
        return match.Success ? match.Groups[1].Value
            : throw new DrException($"cannot tell the host etcd's version from `etcd --version`: {output.Trim()}", FailureKind.General);
    }

    public static string Require(string program) =>
        Find(program) ?? throw new DrException(
            $"etcd-dr lab needs '{program}'; install it with: apt-get install {Packages.GetValueOrDefault(program, program)}", FailureKind.Usage);
}
