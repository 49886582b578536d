using EtcdDr.Testing;
using EtcdDr.Topology;

namespace EtcdDr.Tests.Topology;

/// <summary>Image references as air-gapped clusters write them: a registry with a port, digests.</summary>
public class ImageReferenceTests
{
    [Theory]
    [InlineData("registry.k8s.io/etcd:3.5.15-0", "3.5.15-0", "3.5.15")]
    [InlineData("registry.local:5000/etcd:3.5.9-0", "3.5.9-0", "3.5.9")]
    [InlineData("10.0.0.5:5000/kubernetes/etcd:v3.5.12", "v3.5.12", "3.5.12")]
    [InlineData("registry.local:5000/etcd:3.5.9-0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "3.5.9-0", "3.5.9")]
    [InlineData("registry.local:5000/etcd", null, null)]
    [InlineData("registry.local:5000/etcd@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", null, null)]
    [InlineData("registry.local:5000/etcd:latest", "latest", null)]
    public void Tag_and_version_come_from_the_last_segment(string image, string? tag, string? version)
    {
        Assert.Equal(tag, TopologyDetector.ImageTagOf(image));
        Assert.Equal(version, TopologyDetector.VersionFromImage(image));
    }

    [Fact]
    public async Task Kubeadm_manifest_from_a_registry_with_a_port()
    {
        var host = new FakeRemoteHost("cp-1");
        host.Files["/etc/kubernetes/manifests/etcd.yaml"] = Fixtures.KubeadmEtcdManifest.Replace("registry.k8s.io/etcd:3.5.15-0", "registry.local:5000/etcd:3.5.9-0", StringComparison.Ordinal);
        Fixtures.AnsweringCrictl(host);
        Fixtures.KubeadmFilesPresent(host);
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal("registry.local:5000/etcd:3.5.9-0", t.Image);
        Assert.Equal("3.5.9", t.EtcdVersion);
        Assert.Equal(new EtcdTool("crictl", "/usr/bin/crictl", "registry.local:5000/etcd:3.5.9-0"), t.Etcdctl);
    }

    [Fact]
    public async Task Kubespray_docker_unit_from_a_registry_with_a_port()
    {
        var host = new FakeRemoteHost("node2");
        host.Files["/etc/etcd.env"] = Fixtures.KubesprayEtcdEnv;
        host.Files["/etc/systemd/system/etcd.service"] = TopologyDetectorTests.KubesprayDockerUnit
            .Replace("quay.io/coreos/etcd:v3.5.16", "registry.local:5000/coreos/etcd:v3.5.9", StringComparison.Ordinal);
        Fixtures.AnsweringDocker(host);
        Fixtures.KubesprayFilesPresent(host);
        var t = await TopologyDetector.DetectAsync(host, default);
        Assert.Equal(EtcdFlavor.KubesprayDocker, t.Flavor);
        Assert.Equal("registry.local:5000/coreos/etcd:v3.5.9", t.Image);
        Assert.Equal("3.5.9", t.EtcdVersion);
        Assert.Equal(new EtcdTool("docker", "/usr/bin/docker", "registry.local:5000/coreos/etcd:v3.5.9"), t.Etcdctl);
    }
}
