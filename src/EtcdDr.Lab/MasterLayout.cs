using System.Text;

namespace EtcdDr.Lab;

/// <summary>
/// What every master holds whatever the flavor: its name in /etc/hostname and all masters in
/// /etc/hosts, the kubelet unit, the "enabled" links systemd keeps in multi-user.target.wants,
/// an empty /var/lib/etcd (0700, as etcd insists), and the stand-in systemctl in /usr/local/bin
/// (init also binds it over /usr/bin/systemctl inside the master).
/// </summary>
public static class MasterLayout
{
    public const string WantsDirectory = "/etc/systemd/system/multi-user.target.wants";
    public const string KubeletUnit = "/etc/systemd/system/kubelet.service";
    public const string StandInSystemctl = "/usr/local/bin/systemctl";
    public const string StandInCrictl = "/usr/local/bin/crictl";

    public static void Write(LabSpec spec, LabMaster master, MasterPaths paths)
    {
        foreach (var (_, name) in MasterPaths.Overlays)
        {
            Directory.CreateDirectory(paths.Upper(name));
            Directory.CreateDirectory(paths.Work(name));
        }
        foreach (var dir in new[] { paths.SshDirectory, paths.RunDirectory, paths.LogDirectory })
            Directory.CreateDirectory(dir);

        LabFiles.Write(paths.Inside("/etc/hostname"), master.Name + "\n");
        var hosts = new StringBuilder(File.Exists("/etc/hosts") ? File.ReadAllText("/etc/hosts") : "127.0.0.1 localhost\n");
        hosts.Append("\n# etcd-dr lab masters\n");
        foreach (var m in spec.Masters)
            hosts.Append(m.Address).Append(' ').Append(m.Name).Append('\n');
        LabFiles.Write(paths.Inside("/etc/hosts"), hosts.ToString());

        LabFiles.Write(paths.Inside(KubeletUnit), KubeletUnitFile);
        LabFiles.Symlink(paths.Inside(WantsDirectory + "/kubelet.service"), KubeletUnit);
        if (spec.Flavor.IsKubespray())
            LabFiles.Symlink(paths.Inside(WantsDirectory + "/etcd.service"), KubesprayLayout.Unit);
        if (spec.Flavor == LabFlavor.Kubeadm)
            Directory.CreateDirectory(paths.Inside("/etc/kubernetes/manifests"));

        var data = paths.Inside("/var/lib/etcd");
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, LabFiles.PrivateDirectory);

        LabFiles.Write(paths.Inside(StandInSystemctl), SystemctlScript(spec, master, paths), LabFiles.Executable);
        if (spec.Flavor == LabFlavor.Kubeadm)
            LabFiles.Write(paths.Inside(StandInCrictl), CrictlScript(spec, master, paths), LabFiles.Executable);
        if (spec.NoHostEtcdctl)
            WriteWhiteouts(paths);
    }

    /// <summary>--no-host-etcdctl: whiteouts for etcdctl and etcdutl in /usr/bin and /usr/local/bin, as on a real kubeadm node.</summary>
    private static void WriteWhiteouts(MasterPaths paths)
    {
        Directory.CreateDirectory(paths.Upper(MasterPaths.UsrBin.Name));
        Directory.CreateDirectory(paths.Work(MasterPaths.UsrBin.Name));
        Directory.CreateDirectory(paths.Inside("/usr/local/bin"));
        foreach (var tool in MasterPaths.HiddenTools)
        {
            LabNative.CreateWhiteout(Path.Combine(paths.Upper(MasterPaths.UsrBin.Name), tool));
            LabNative.CreateWhiteout(paths.Inside("/usr/local/bin/" + tool));
        }
    }

    /// <summary>The stand-in crictl (kubeadm): like systemctl, a script that asks the init over the control socket.</summary>
    private static string CrictlScript(LabSpec spec, LabMaster master, MasterPaths paths)
    {
        var argv = string.Join(' ', SelfInvocation.Argv().Select(Quote));
        return $"#!/bin/sh\n# etcd-dr lab stand-in for crictl on {master.Name} ({spec.Flavor}); see docs/lab.md\n" +
               $"exec {argv} lab crictl --socket {Quote(paths.ControlSocket)} -- \"$@\"\n";
    }

    /// <summary>
    /// The kubelet unit as the Kubernetes packages ship it. The lab's service manager knows the unit
    /// "kubelet" and runs its own static-pod kubelet for it instead of ExecStart (see LabKubelet).
    /// </summary>
    public const string KubeletUnitFile = """
        [Unit]
        Description=kubelet: The Kubernetes Node Agent
        Documentation=https://kubernetes.io/docs/
        Wants=network-online.target
        After=network-online.target

        [Service]
        ExecStart=/usr/bin/kubelet --config=/var/lib/kubelet/config.yaml --kubeconfig=/etc/kubernetes/kubelet.conf
        Restart=always
        StartLimitInterval=0
        RestartSec=10

        [Install]
        WantedBy=multi-user.target

        """;

    /// <summary>
    /// A two-line script, because systemctl must be a file on PATH: it hands its arguments to the
    /// hidden `etcd-dr lab systemctl` client, which asks the master's init over its control socket.
    /// </summary>
    private static string SystemctlScript(LabSpec spec, LabMaster master, MasterPaths paths)
    {
        var argv = string.Join(' ', SelfInvocation.Argv().Select(Quote));
        return $"#!/bin/sh\n# etcd-dr lab stand-in for systemd's systemctl on {master.Name} ({spec.Flavor}); see docs/lab.md\n" +
               $"exec {argv} lab systemctl --socket {Quote(paths.ControlSocket)} -- \"$@\"\n";
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
