using EtcdDr.Topology;

namespace EtcdDr.Tests.Topology;

public class ParserTests
{
    [Fact]
    public void Kubeadm_manifest_flags()
    {
        var pod = StaticPodManifest.Parse(Fixtures.KubeadmEtcdManifest, "etcd.yaml");
        Assert.Equal("registry.k8s.io/etcd:3.5.15-0", pod.Image);
        Assert.Equal("cp-1", pod.Flag("name"));
        Assert.Equal("/var/lib/etcd", pod.Flag("data-dir"));
        Assert.Equal("https://127.0.0.1:2379,https://10.0.0.11:2379", pod.Flag("listen-client-urls"));
        Assert.Equal("cp-1=https://10.0.0.11:2380", pod.Flag("initial-cluster"));
        Assert.Equal("true", pod.Flag("client-cert-auth"));
        Assert.Equal(19, pod.Flags.Count);
    }

    [Fact]
    public void Manifest_flags_given_as_separate_words()
    {
        var pod = StaticPodManifest.Parse("spec:\n  containers:\n  - name: etcd\n    command: [etcd, --name, m1, --data-dir, /d, --enable-v2]\n", "x");
        Assert.Equal(("m1", "/d", "true"), (pod.Flag("name"), pod.Flag("data-dir"), pod.Flag("enable-v2")));
    }

    [Theory]
    [InlineData("kind: Pod\n", "no container")]
    [InlineData("spec: [", "not valid YAML")]
    public void Bad_manifests(string yaml, string expected) =>
        Assert.Contains(expected, Assert.Throws<DrException>(() => StaticPodManifest.Parse(yaml, "x")).Message);

    [Fact]
    public void Kubespray_env_file()
    {
        var env = EtcdEnvFile.Parse(Fixtures.KubesprayEtcdEnv);
        Assert.Equal("etcd1", env["ETCD_NAME"]);
        Assert.Equal("/etc/ssl/etcd/ssl/member-node1.pem", env["ETCD_CERT_FILE"]);
        Assert.Equal("etcd1=https://10.0.0.21:2380,etcd2=https://10.0.0.22:2380,etcd3=https://10.0.0.23:2380", env["ETCD_INITIAL_CLUSTER"]);
        Assert.False(env.ContainsKey("# TLS settings"));
    }

    [Fact]
    public void Env_file_quotes_comments_and_last_wins()
    {
        // "export C=1" is not a variable name to systemd: it never reaches etcd, so it is not reported either.
        var env = EtcdEnvFile.Parse("A=\"x y\"\n# A=z\nB='q'\nexport C=1\nA=final\n  \nbroken line\n");
        Assert.Equal(("final", "q"), (env["A"], env["B"]));
        Assert.Equal(2, env.Count);
    }
}
