namespace EtcdDr.Lab;

/// <summary>The key type of a lab certificate. ECDSA P-256 is what kubeadm and most etcd setups use today.</summary>
public enum LabKeyAlgorithm
{
    EcdsaP256,
    Rsa2048,
}

/// <summary>How a private key is written as PEM.</summary>
public enum PrivateKeyPemFormat
{
    /// <summary>"-----BEGIN PRIVATE KEY-----": PKCS#8, readable by every tool (Go, OpenSSL, .NET).</summary>
    Pkcs8,

    /// <summary>
    /// The algorithm-specific form: "EC PRIVATE KEY" (SEC 1) or "RSA PRIVATE KEY" (PKCS#1), which is what
    /// kubeadm and cfssl (Kubespray) write; tests use it to prove our readers accept both.
    /// </summary>
    Legacy,
}

/// <summary>What a leaf certificate is for; decides its extended key usages.</summary>
public enum LabCertificatePurpose
{
    /// <summary>
    /// An etcd (or apiserver) serving certificate. It carries clientAuth as well as serverAuth because
    /// etcd 3.4's embedded grpc-gateway dials its own server with this certificate when
    /// --client-cert-auth is on; kubeadm issues etcd server certificates the same way.
    /// </summary>
    Server,

    /// <summary>An etcd peer certificate: each member both serves and dials peers with it.</summary>
    Peer,

    /// <summary>A client certificate (etcdctl, kube-apiserver, etcd-dr itself).</summary>
    Client,
}
