using EtcdDr.Remote;

namespace EtcdDr.Tests.Remote;

/// <summary>The allow-list ssh children get (the real sshd proof is in the integration tests).</summary>
public class SshEnvironmentTests
{
    [Fact]
    public async Task A_child_with_inherit_only_gets_nothing_else_of_ours()
    {
        // A name no other test uses: setting it here changes nothing for them.
        var name = "ETCD_DR_TEST_SECRET_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "hunter2");
        try
        {
            var open = await ProcessRunner.RunAsync("env", []);
            Assert.Contains($"{name}=hunter2", open.Stdout); // the control: children inherit by default

            var restricted = await ProcessRunner.RunAsync("env", [], new ProcessRunOptions { InheritOnly = SshEnvironment.Allowed });
            Assert.DoesNotContain(name, restricted.Stdout);
            Assert.Contains("PATH=", restricted.Stdout);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Theory]
    [InlineData("ETCD_DR_PASSPHRASE", false)]
    [InlineData("AWS_SECRET_ACCESS_KEY", false)]
    [InlineData("AZURE_STORAGE_CONNECTION_STRING", false)]
    [InlineData("ETCDCTL_PASSWORD", false)]
    [InlineData("SSH_AUTH_SOCK", true)]
    [InlineData("LC_ALL", true)]
    [InlineData("HOME", true)]
    public void Secrets_are_not_on_the_list_and_what_ssh_needs_is(string variable, bool allowed) =>
        Assert.Equal(allowed, SshEnvironment.IsAllowed(variable, SshEnvironment.Allowed));

    [Fact]
    public void Ports_are_written_as_plain_numbers()
    {
        // The document keeps ports as text (range-checked when read); what `lab up` writes must still read as numbers.
        var text = InventoryFile.Serialize(new Inventory("c", new SshSettings(Port: 2222), [new MasterHost("a", "10.0.0.1", 2201)]));
        Assert.Contains("port: 2222\n", text);
        Assert.Contains("port: 2201\n", text);
    }
}
