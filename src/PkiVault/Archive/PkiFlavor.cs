namespace PkiVault.Archive;

/// <summary>Which installer laid out the control-plane PKI.</summary>
public enum PkiFlavor
{
    Auto,
    Kubeadm,
    Kubespray,
}

/// <summary>A path (relative to the root, '/' separated) to archive; directories are taken recursively.</summary>
public sealed record PkiPattern(string RelativePath, bool IsDirectory);

/// <summary>The files each flavor keeps its cluster identity in.</summary>
public static class PkiLayout
{
    public static IReadOnlyList<PkiPattern> Kubeadm { get; } =
    [
        new("etc/kubernetes/pki", IsDirectory: true),
        new("etc/kubernetes/admin.conf", IsDirectory: false),
        new("etc/kubernetes/super-admin.conf", IsDirectory: false),
        new("etc/kubernetes/controller-manager.conf", IsDirectory: false),
        new("etc/kubernetes/scheduler.conf", IsDirectory: false),
        new("etc/kubernetes/kubelet.conf", IsDirectory: false),
    ];

    /// <summary>Kubespray's own certificate folders plus the kubeadm set, which Kubespray also writes.</summary>
    public static IReadOnlyList<PkiPattern> Kubespray { get; } =
    [
        new("etc/ssl/etcd/ssl", IsDirectory: true),
        new("etc/kubernetes/ssl", IsDirectory: true),
        new("etc/etcd.env", IsDirectory: false),
        .. Kubeadm,
    ];

    /// <summary>Kubespray when its etcd certificates or env file exist under the root, else kubeadm.</summary>
    public static PkiFlavor Detect(string root) =>
        Directory.Exists(Path.Combine(root, "etc/ssl/etcd/ssl")) || File.Exists(Path.Combine(root, "etc/etcd.env"))
            ? PkiFlavor.Kubespray
            : PkiFlavor.Kubeadm;

    public static IReadOnlyList<PkiPattern> For(PkiFlavor flavor) => flavor switch
    {
        PkiFlavor.Kubeadm => Kubeadm,
        PkiFlavor.Kubespray => Kubespray,
        _ => throw new ArgumentException("resolve Auto with Detect first", nameof(flavor)),
    };
}
