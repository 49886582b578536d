using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

/// <summary>-i tells the inventory kinds apart by content.</summary>
public sealed class InventoryLoaderTests
{
    [Theory]
    [InlineData("---\n")]
    [InlineData("# written by a tool\n---\n")]
    [InlineData("%YAML 1.2\n---\n")]
    public void A_yaml_inventory_that_starts_with_a_document_marker_is_read_as_yaml(string header)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "hosts.yaml");
        File.WriteAllText(path, header + """
            all:
              hosts:
                cp-1: { ansible_host: 192.168.56.11 }
                cp-2: { ansible_host: 192.168.56.12 }
              children:
                etcd:
                  hosts:
                    cp-1:
                    cp-2:
            """);
        var inventory = InventoryLoader.Load(path, "lab");
        Assert.Equal(["cp-1", "cp-2"], inventory.Masters.Select(m => m.Name));
        Assert.Equal("192.168.56.12", inventory.Master("cp-2").Address);
    }
}
