namespace EtcdDr.Remote;

/// <summary>
/// Makes the <see cref="IRemoteHost"/> for a master. The one place a transport is chosen (the system
/// OpenSSH client today; a built-in client later), and the seam tests replace with recording fakes.
/// </summary>
public interface IRemoteHostFactory
{
    IRemoteHost Create(MasterHost master, SshSettings ssh);
}

/// <summary>The default: the system OpenSSH client, with the operator's config, agent and known_hosts.</summary>
public sealed class OpenSshHostFactory(SshOptions options) : IRemoteHostFactory
{
    public IRemoteHost Create(MasterHost master, SshSettings ssh) => new OpenSshHost(master, ssh, options);
}
