using EtcdDr.Remote;
using EtcdDr.Testing;

namespace EtcdDr.Tests.Remote;

/// <summary>The recording fake's file commands behave as coreutils do, so transcripts prove something.</summary>
public class RecordingRemoteHostTests
{
    [Fact]
    public async Task Files_change_under_mv_install_mkdir_chown_and_rm_and_the_transcript_says_how()
    {
        var host = new RecordingRemoteHost("m");
        host.FileSystem.AddFile("/etc/a.conf", "A", "600");
        await host.MustAsyncOk(["mkdir", "-p", "-m", "0700", "/srv/x/y"]);
        await host.StreamInAsync(["install", "-m", "0640", "/dev/stdin", "/srv/x/y/b"], RemoteRunOptions.Root, (s, ct) => s.WriteAsync("B"u8.ToArray(), ct).AsTask(), default);
        await host.MustAsyncOk(["chown", "-R", "etcd:etcd", "/srv/x"]);
        await host.MustAsyncOk(["mv", "-T", "--", "/srv/x", "/srv/z"]);
        await host.MustAsyncOk(["mv", "--", "/etc/a.conf", "/srv/z"]);
        Assert.Equal(1, (await host.RunAsync(["mv", "--", "/nope", "/srv"], null, default)).ExitCode);
        Assert.Equal(1, (await host.RunAsync(["rm", "-f", "--", "/srv/z"], RemoteRunOptions.Root, default)).ExitCode);
        Assert.Equal(1, (await host.RunAsync(["rm", "-rf", "--", "/srv/z"], RemoteRunOptions.Root, default)).ExitCode);
        Assert.Equal(1, (await host.RunAsync(["mv", "-T", "--", "/srv/z/a.conf", "/srv/z/y"], RemoteRunOptions.Root, default)).ExitCode);

        Assert.Equal("""
            /srv/ 755 root:root
            /srv/z/ 755 etcd:etcd
            /srv/z/a.conf 600 root:root 1B
            /srv/z/y/ 700 etcd:etcd
            /srv/z/y/b 640 etcd:etcd 1B

            """, host.FileSystem.Describe("/srv"));
        Assert.Equal("B", host.FileSystem.Text("/srv/z/y/b"));
        Assert.Equal("""
            # mkdir -p -m 0700 /srv/x/y
            # install -m 0640 /dev/stdin /srv/x/y/b < sha256:df7e70e50215
            # chown -R etcd:etcd /srv/x
            # mv -T -- /srv/x /srv/z
            # mv -- /etc/a.conf /srv/z
            $ mv -- /nope /srv => exit 1
            # rm -f -- /srv/z => exit 1
            # rm -rf -- /srv/z => exit 1
            # mv -T -- /srv/z/a.conf /srv/z/y => exit 1

            """, host.Transcript());
    }

    [Fact]
    public async Task Scripted_answers_come_in_order_and_the_last_repeats_unknown_programs_exit_127()
    {
        var host = new RecordingRemoteHost("m").Script("systemctl is-active etcd", new ProcessResult(0, "active\n", ""), new ProcessResult(3, "inactive\n", ""));
        Assert.Equal("active", (await host.RunAsync(["systemctl", "is-active", "etcd"], null, default)).Stdout.Trim());
        Assert.Equal(3, (await host.RunAsync(["systemctl", "is-active", "etcd"], null, default)).ExitCode);
        Assert.Equal(3, (await host.RunAsync(["systemctl", "is-active", "etcd"], null, default)).ExitCode);
        Assert.Equal(127, (await host.RunAsync(["etcdctl", "version"], null, default)).ExitCode);
    }
}

internal static class RecordingHostAssertions
{
    public static async Task MustAsyncOk(this RecordingRemoteHost host, IReadOnlyList<string> argv) =>
        Assert.Equal(0, (await host.Must(argv, default)).ExitCode);
}
