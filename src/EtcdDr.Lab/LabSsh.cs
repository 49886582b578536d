using EtcdDr.Remote;

namespace EtcdDr.Lab;

/// <summary>
/// Lab-only SSH: one ed25519 client key for the operator side, one host key per master, a
/// known_hosts naming each master's [address]:port, and an sshd_config per master that listens only
/// on that master's address and trusts only the lab's client key.
/// </summary>
public static class LabSsh
{
    public static async Task CreateClientKeyAsync(LabPaths paths, CancellationToken ct)
    {
        Directory.CreateDirectory(paths.SshDirectory);
        await KeygenAsync(paths.ClientKey, "etcd-dr-lab-client", ct).ConfigureAwait(false);
        File.Copy(paths.ClientKey + ".pub", paths.AuthorizedKeys, overwrite: true);
        File.SetUnixFileMode(paths.ClientKey, LabFiles.Private);
    }

    public static async Task<string> CreateHostKeyAsync(LabMaster master, MasterPaths paths, CancellationToken ct)
    {
        await KeygenAsync(paths.HostKey, "root@" + master.Name, ct).ConfigureAwait(false);
        var parts = (await File.ReadAllTextAsync(paths.HostKey + ".pub", ct).ConfigureAwait(false)).Split(' ');
        return parts[0] + " " + parts[1];
    }

    /// <summary>"[127.0.100.1]:2222 ssh-ed25519 AAAA..." (no brackets on port 22, as ssh writes it).</summary>
    public static string KnownHostsLine(LabMaster master, int port, string hostKey) =>
        (port == 22 ? master.Address.ToString() : $"[{master.Address}]:{port}") + " " + hostKey;

    public static void WriteSshdConfig(LabSpec spec, LabMaster master, LabPaths lab, MasterPaths paths) =>
        LabFiles.Write(paths.SshdConfig, $"""
            # sshd of lab master {master.Name}; started by its init inside the master's namespaces
            ListenAddress {master.Address}:{spec.SshPort}
            HostKey {paths.HostKey}
            PidFile {paths.SshdPid}
            AuthorizedKeysFile {lab.AuthorizedKeys}
            PermitRootLogin prohibit-password
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            # No PAM: nothing of the host's login stack is needed, and PAM would read the host's limits and env files.
            UsePAM no
            # The keys live in the state folder, not in ~root/.ssh, so the owner checks do not apply.
            StrictModes no
            PrintMotd no
            PrintLastLog no
            UseDNS no
            MaxStartups 100:30:200
            MaxSessions 50
            Subsystem sftp /usr/lib/openssh/sftp-server

            """, LabFiles.Private);

    private static async Task KeygenAsync(string file, string comment, CancellationToken ct)
    {
        foreach (var old in new[] { file, file + ".pub" })
            File.Delete(old);
        (await ProcessRunner.RunAsync(LabTools.Require("ssh-keygen"), ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file],
            new ProcessRunOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false)).EnsureSuccess("ssh-keygen");
    }
}
