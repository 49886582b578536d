using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

public class InventoryFileTests
{
    private const string Sample = """
        cluster: prod-eu1
        ssh:
          user: ops
          identityFile: /home/ops/.ssh/id_ed25519
          knownHostsFile: /home/ops/.ssh/known_hosts
        masters:
          - name: cp-1
            address: 10.0.0.11
          - name: cp-2
            address: 10.0.0.12
            port: 2222
        backup:
          destinations: [ "file:///var/backups/etcd" ]
          recipients: [ "age1xyz" ]
        """;

    [Fact]
    public void Parses_every_field()
    {
        var inv = InventoryFile.Parse(Sample, "t.yaml");
        Assert.Equal("prod-eu1", inv.Cluster);
        Assert.Equal("ops", inv.Ssh.User);
        Assert.Equal("auto", inv.Ssh.Sudo);
        Assert.Equal(["cp-1", "cp-2"], inv.Masters.Select(m => m.Name));
        Assert.Equal(2222, inv.Master("cp-2").Port);
        Assert.Equal(["file:///var/backups/etcd"], inv.Backup!.Destinations);
    }

    [Fact]
    public void Round_trips_through_serialize() =>
        Assert.Equivalent(InventoryFile.Parse(Sample, "a"), InventoryFile.Parse(InventoryFile.Serialize(InventoryFile.Parse(Sample, "a")), "b"));

    [Theory]
    [InlineData("masters: [ { name: a, address: b } ]", "'cluster' is missing")]
    [InlineData("cluster: x/y\nmasters: [ { name: a, address: b } ]", "may hold only")]
    [InlineData("cluster: x\n", "lists no host")]
    [InlineData("cluster: x\nmasters: [ { name: a } ]", "has no address")]
    [InlineData("cluster: x\nmasters: [ { name: a, address: b }, { name: a, address: c } ]", "appears 2 times")]
    [InlineData("cluster: x\nssh: { sudo: maybe }\nmasters: [ { name: a, address: b } ]", "use auto, always or never")]
    [InlineData("cluster: x\nmasters: [ { name: a, adress: b } ]", "t.yaml:2")]
    public void Says_what_is_wrong_and_where(string yaml, string expected)
    {
        var ex = Assert.Throws<DrException>(() => InventoryFile.Parse(yaml, "t.yaml"));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Unknown_master_names_the_known_ones()
    {
        var ex = Assert.Throws<DrException>(() => InventoryFile.Parse(Sample, "t").Master("cp-9"));
        Assert.Contains("cp-1, cp-2", ex.Message);
    }
}
