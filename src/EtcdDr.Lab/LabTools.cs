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
    };

    public static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(ExtraDirectories)
            .Select(d => Path.Combine(d, program))
            .FirstOrDefault(File.Exists);

    public static string Require(string program) =>
        Find(program) ?? throw new DrException(
            $"etcd-dr lab needs '{program}'; install it with: apt-get install {Packages.GetValueOrDefault(program, program)}", FailureKind.Usage);
}
