using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Remote;

namespace EtcdDr.IntegrationTests.RemoteLab;

/// <summary>RemoteFiles against a real sshd: mode, owner, atomic replacement, clean failure.</summary>
public sealed class RemoteFilesTests(SshdFixture sshd) : IClassFixture<SshdFixture>
{
    private OpenSshHost Host() =>
        new(new MasterHost("cp-1", SshdFixture.Address, sshd.Port),
            new SshSettings(User: "root", IdentityFile: sshd.IdentityFile, KnownHostsFile: sshd.KnownHostsFile, ConfigFile: "/dev/null", Sudo: "never"));

    private string Folder() => Directory.CreateDirectory(Path.Combine(sshd.Root, Guid.NewGuid().ToString("N"))).FullName;

    [Fact]
    public async Task A_written_file_gets_mode_and_owner_and_replaces_the_old_one_atomically()
    {
        await using var host = Host();
        var path = Path.Combine(Folder(), "etcd.env");
        File.WriteAllText(path, "old\n");
        // A reader of the old file keeps seeing it whole: the new one comes in by rename, not by rewriting in place.
        using var reader = File.OpenRead(path);

        await host.WriteFileAsync(path, "ETCD_NAME=cp-1\n"u8.ToArray(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "nobody:nogroup", default);

        Assert.Equal("ETCD_NAME=cp-1\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        var stat = await ProcessRunner.RunAsync("stat", ["-c", "%u:%g", path]);
        Assert.Equal("65534:65534", stat.Stdout.Trim());
        Assert.Equal("old\n", await new StreamReader(reader).ReadToEndAsync());
        Assert.Equal(["etcd.env"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        Assert.Equal("ETCD_NAME=cp-1\n"u8.ToArray(), await host.ReadFileAsync(path, privileged: true, default));
    }

    [Fact]
    public async Task A_failed_write_leaves_the_target_and_no_temporary_file()
    {
        await using var host = Host();
        var folder = Folder();
        var path = Path.Combine(folder, "ca.key");
        File.WriteAllText(path, "the old key\n");

        var ex = await Assert.ThrowsAsync<RemoteException>(() =>
            host.WriteFileAsync(path, "new key\n"u8.ToArray(), UnixFileMode.UserRead | UnixFileMode.UserWrite, "no-such-user-etcd-dr", default));

        Assert.Equal(RemoteFailure.CommandFailed, ex.Failure);
        Assert.StartsWith("cp-1: `chown no-such-user-etcd-dr ", ex.Message);
        Assert.Contains("invalid user", ex.Message);
        Assert.Equal("the old key\n", File.ReadAllText(path));
        Assert.Equal(["ca.key"], Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Reading_a_missing_file_names_the_host_and_the_path()
    {
        await using var host = Host();
        var path = Path.Combine(Folder(), "missing.crt");
        var ex = await Assert.ThrowsAsync<RemoteException>(() => host.ReadFileAsync(path, privileged: true, default));
        Assert.Equal(RemoteFailure.CommandFailed, ex.Failure);
        Assert.Equal($"cp-1: `cat -- {path}` exited 1: cat: {path}: No such file or directory", ex.Message);
    }
}
