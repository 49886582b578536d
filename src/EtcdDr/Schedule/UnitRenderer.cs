using System.Text;

namespace EtcdDr.Schedule;

/// <summary>Inputs of `schedule render`.</summary>
/// <param name="OnCalendar">systemd calendar expression (hourly, *:0/15, daily ...).</param>
/// <param name="CronSchedule">Cron expression for the CronJob.</param>
/// <param name="Flavor">kubeadm or kubespray: which host files the CronJob mounts.</param>
/// <param name="MetricsDir">node_exporter's textfile directory on the host (the config's metrics.textfile lives in it).</param>
/// <param name="LockDir">Where the config's lock file lives, shared with any timer on the same host.</param>
public sealed record ScheduleRenderOptions(
    string Binary = "/usr/local/bin/etcd-dr",
    string ConfigPath = "/etc/etcd-dr/config.yaml",
    string OnCalendar = "hourly",
    string CronSchedule = "0 * * * *",
    string Image = "registry.example.com/etcd-dr:latest",
    string Namespace = "kube-system",
    string Flavor = "kubeadm",
    string MetricsDir = "/var/lib/node_exporter/textfile_collector",
    string LockDir = "/run/etcd-dr")
{
    public static readonly IReadOnlyList<string> Flavors = ["kubeadm", "kubespray"];
}

/// <summary>
/// Renders the units that run `etcd-dr snapshot save --config` on a schedule. With onlyIfLeader in
/// the config, the same timer goes on every master and only the leader's run takes a snapshot, so
/// losing a master does not stop backups.
/// </summary>
public static class UnitRenderer
{
    public static string Service(ScheduleRenderOptions o) => $"""
        # /etc/systemd/system/etcd-dr-snapshot.service
        [Unit]
        Description=etcd-dr: verified etcd snapshot to off-site stores
        After=network-online.target
        Wants=network-online.target

        [Service]
        Type=oneshot
        # S3/Azure credentials (AWS_ACCESS_KEY_ID=..., AZURE_STORAGE_KEY=...), kept out of the unit.
        EnvironmentFile=-/etc/etcd-dr/credentials.env
        ExecStart={o.Binary} snapshot save --config {o.ConfigPath}
        # 7: skipped because the previous run still holds the lock; not a failure.
        SuccessExitStatus=7
        Nice=10
        IOSchedulingClass=best-effort
        IOSchedulingPriority=7
        NoNewPrivileges=yes
        PrivateTmp=yes
        UMask=0077
        TimeoutStartSec=1h

        """;

    public static string Timer(ScheduleRenderOptions o) => $"""
        # /etc/systemd/system/etcd-dr-snapshot.timer
        [Unit]
        Description=etcd-dr: scheduled etcd snapshot

        [Timer]
        OnCalendar={o.OnCalendar}
        # Spread the masters' runs a little; onlyIfLeader decides which one saves.
        RandomizedDelaySec=30s
        AccuracySec=10s
        # Catch up after downtime instead of silently skipping a run.
        Persistent=true

        [Install]
        WantedBy=timers.target

        """;

    /// <summary>
    /// The host paths a CronJob mounts: the flavor's own files with type File/Directory, so a
    /// missing one fails the pod instead of being created (an empty /etc/etcd.env on a kubeadm node
    /// would make it look like Kubespray), plus etcd-dr's own metrics and lock directories, which may
    /// be created.
    /// </summary>
    public static IReadOnlyList<(string Name, string Path, string Type, bool ReadOnly)> HostMounts(ScheduleRenderOptions o)
    {
        ArgumentNullException.ThrowIfNull(o);
        List<(string, string, string, bool)> mounts = [("config", Path.GetDirectoryName(o.ConfigPath) ?? "/etc/etcd-dr", "Directory", true)];
        mounts.AddRange(o.Flavor switch
        {
            "kubeadm" => [("etcd-manifests", "/etc/kubernetes/manifests", "Directory", true), ("etcd-pki", "/etc/kubernetes/pki/etcd", "Directory", true)],
            "kubespray" => [("etcd-env", "/etc/etcd.env", "File", true), ("etcd-pki", "/etc/ssl/etcd/ssl", "Directory", true)],
            _ => throw new DrException($"unknown flavor '{o.Flavor}'; use {string.Join(" or ", ScheduleRenderOptions.Flavors)}", FailureKind.Usage),
        });
        mounts.Add(("metrics", o.MetricsDir, "DirectoryOrCreate", false));
        // The lock must be the host's, or a CronJob run and a timer run would not see each other.
        mounts.Add(("lock", o.LockDir, "DirectoryOrCreate", false));
        return mounts;
    }

    public static string CronJob(ScheduleRenderOptions o)
    {
        var mounts = HostMounts(o);
        var volumeMounts = string.Join("\n", mounts.Select(m =>
            $"                - {{ name: {m.Name}, mountPath: {m.Path}{(m.ReadOnly ? ", readOnly: true" : "")} }}"));
        var volumes = string.Join("\n", mounts.Select(m => $"            - {{ name: {m.Name}, hostPath: {{ path: {m.Path}, type: {m.Type} }} }}"));
        return $$"""
        # A CronJob alternative to the timer, for {{o.Flavor}} masters: one run per schedule on a
        # control-plane node, using that node's etcd member (hostNetwork) and its certificates
        # (hostPath, read-only). The config's lock.file must be in {{o.LockDir}} and metrics.textfile
        # in {{o.MetricsDir}}; file:// destinations need a hostPath mount of their own.
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: etcd-dr-snapshot
          namespace: {{o.Namespace}}
        spec:
          schedule: "{{o.CronSchedule}}"
          concurrencyPolicy: Forbid
          successfulJobsHistoryLimit: 3
          failedJobsHistoryLimit: 3
          jobTemplate:
            spec:
              backoffLimit: 1
              template:
                spec:
                  restartPolicy: Never
                  hostNetwork: true
                  priorityClassName: system-cluster-critical
                  nodeSelector:
                    node-role.kubernetes.io/control-plane: ""
                  tolerations:
                    - key: node-role.kubernetes.io/control-plane
                      operator: Exists
                      effect: NoSchedule
                  containers:
                    - name: etcd-dr
                      image: {{o.Image}}
                      command: ["etcd-dr", "snapshot", "save", "--config", "{{o.ConfigPath}}"]
                      envFrom:
                        - secretRef:
                            name: etcd-dr-credentials
                            optional: true
                      volumeMounts:
        {{volumeMounts}}
                  volumes:
        {{volumes}}

        """;
    }

    public static string All(ScheduleRenderOptions o, bool systemd, bool cronJob)
    {
        var text = new StringBuilder();
        if (systemd)
            text.Append(Service(o)).Append('\n').Append(Timer(o));
        if (systemd && cronJob)
            text.Append("---\n");
        if (cronJob)
            text.Append(CronJob(o));
        return text.ToString();
    }
}
