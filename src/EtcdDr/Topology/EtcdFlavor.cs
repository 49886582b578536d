namespace EtcdDr.Topology;

/// <summary>How a master runs etcd; decides how to stop, start and restore it.</summary>
public enum EtcdFlavor
{
    /// <summary>kubeadm: a static pod, /etc/kubernetes/manifests/etcd.yaml, run by kubelet.</summary>
    Kubeadm,
    /// <summary>Kubespray's default host deployment: etcd.service, EnvironmentFile=/etc/etcd.env, /usr/local/bin/etcd.</summary>
    Kubespray,
    /// <summary>Kubespray with etcd_deployment_type=docker: a systemd unit wrapping `docker run`.</summary>
    KubesprayDocker,
    /// <summary>A plain etcd.service (distribution package or hand-written unit).</summary>
    Systemd,
}
