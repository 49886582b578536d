using System.Text;

namespace EtcdDr.Schedule;

/// <summary>Inputs of `schedule render`.</summary>
/// <param name="OnCalendar">systemd calendar expression (hourly, *:0/15, daily ...).</param>
/// <param name="CronSchedule">Cron expression for the CronJob.</param>
public sealed record ScheduleRenderOptions(
    string Binary = "/usr/local/bin/etcd-dr",
    string ConfigPath = "/etc/etcd-dr/config.yaml",
    string OnCalendar = "hourly",
    string CronSchedule = "0 * * * *",
    string Image = "registry.example.com/etcd-dr:latest",
    string Namespace = "kube-system");

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

    public static string CronJob(ScheduleRenderOptions o) => $$"""
        # A CronJob alternative to the timer: one run per schedule on a control-plane node, using
        # that node's etcd member (hostNetwork) and its certificates (hostPath, read-only).
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
                        - { name: config, mountPath: /etc/etcd-dr, readOnly: true }
                        - { name: kubeadm-manifests, mountPath: /etc/kubernetes/manifests, readOnly: true }
                        - { name: kubeadm-etcd-pki, mountPath: /etc/kubernetes/pki/etcd, readOnly: true }
                        - { name: kubespray-etcd-env, mountPath: /etc/etcd.env, readOnly: true }
                        - { name: kubespray-etcd-pki, mountPath: /etc/ssl/etcd/ssl, readOnly: true }
                  volumes:
                    - { name: config, hostPath: { path: /etc/etcd-dr, type: Directory } }
                    - { name: kubeadm-manifests, hostPath: { path: /etc/kubernetes/manifests, type: DirectoryOrCreate } }
                    - { name: kubeadm-etcd-pki, hostPath: { path: /etc/kubernetes/pki/etcd, type: DirectoryOrCreate } }
                    - { name: kubespray-etcd-env, hostPath: { path: /etc/etcd.env, type: FileOrCreate } }
                    - { name: kubespray-etcd-pki, hostPath: { path: /etc/ssl/etcd/ssl, type: DirectoryOrCreate } }

        """;

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
