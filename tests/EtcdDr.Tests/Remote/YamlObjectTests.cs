using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

/// <summary>
/// etcd-dr.yaml and config.yaml are read field by field (no reflection: the binary is Native AOT);
/// what YamlDotNet's deserializer refused is still refused, at the offending line.
/// </summary>
public sealed class YamlObjectTests
{
    [Fact]
    public void An_unknown_inventory_key_is_refused_at_its_line()
    {
        var ex = Assert.Throws<DrException>(() => InventoryFile.Parse("cluster: c\nmasters:\n  - name: a\n    adress: 10.0.0.1\n", "t.yaml"));
        Assert.StartsWith("t.yaml:4:5: unknown key 'adress'", ex.Message);
        Assert.Equal(FailureKind.Usage, ex.Kind);
    }

    [Fact]
    public void A_list_where_a_value_belongs_is_refused()
    {
        var ex = Assert.Throws<DrException>(() => InventoryFile.Parse("cluster: [a, b]\nmasters:\n  - { name: a, address: 10.0.0.1 }\n", "t.yaml"));
        Assert.Contains("t.yaml:1:", ex.Message);
        Assert.Contains("cluster must be a single value", ex.Message);
    }

    [Fact]
    public void Serialized_inventory_reads_back_with_ports_users_and_backup()
    {
        var inventory = new Inventory("prod", new SshSettings("ops", 2222, "~/.ssh/id", ProxyJump: "ops@bastion:22"),
            [new MasterHost("cp-1", "10.0.0.1", 2201, "root", "https://10.0.0.1:2379"), new MasterHost("cp-2", "10.0.0.2")],
            new BackupSettings(["s3://b/etcd?endpoint=http://127.0.0.1:9000"], ["age1xyz"]));
        var text = InventoryFile.Serialize(inventory);
        Assert.DoesNotContain("...", text);
        Assert.Equivalent(inventory, InventoryFile.Parse(text, "round.yaml"));
    }

    [Fact]
    public void Schedule_config_reads_types_and_keeps_defaults()
    {
        var dir = Directory.CreateTempSubdirectory("yamlobject");
        try
        {
            var path = Path.Combine(dir.FullName, "config.yaml");
            File.WriteAllText(path, "cluster: c\ndestinations: [ 'file:///b' ]\nonlyIfLeader: true\nretention: { keepLast: 3 }\nlock: { waitSeconds: 5 }\n");
            var config = EtcdDr.Schedule.ScheduleConfig.Load(path);
            Assert.True(config.OnlyIfLeader);
            Assert.Equal(3, config.Retention!.KeepLast);
            Assert.Equal(5, config.Lock.WaitSeconds);
            Assert.Equal("/run/etcd-dr/snapshot.lock", config.Lock.File);
            Assert.Equal("/", config.Etcd.Root);
            File.WriteAllText(path, "cluster: c\ndestinations: [ 'file:///b' ]\nonlyIfLeader: maybe\n");
            var ex = Assert.Throws<DrException>(() => EtcdDr.Schedule.ScheduleConfig.Load(path));
            Assert.Contains(":3:", ex.Message);
            Assert.Contains("onlyIfLeader must be true or false", ex.Message);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
