using EtcdDr.Lab;

namespace EtcdDr.Tests.Lab;

/// <summary>
/// The control socket of a lab master is STATE/masters/NAME/run/control.sock. A Unix socket path
/// holds 108 bytes with its NUL; the drill matrix's kubespray wipe-all-force-new-cluster lab had a
/// 108-character one, its init could not listen, died after starting sshd and etcd, and the lab
/// never became healthy. Any length must work, for the server and the client alike.
/// </summary>
public sealed class ControlChannelTests
{
    [Theory]
    [InlineData(0)]   // as short as the temp folder allows
    [InlineData(108)] // the matrix lab's: one byte too long for sun_path with its NUL
    [InlineData(200)]
    public async Task A_request_is_answered_whatever_the_socket_paths_length(int length)
    {
        using var dir = new TempDir();
        const string tail = "/run/control.sock";
        var padding = Math.Max(1, length - dir.Path.Length - 1 - tail.Length);
        var socket = Path.Combine(dir.Path, new string('x', padding)) + tail;
        Directory.CreateDirectory(Path.GetDirectoryName(socket)!);
        if (length > 0)
            Assert.Equal(length, socket.Length);

        using var stop = new CancellationTokenSource();
        using var listener = ControlChannel.Listen(socket);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        var server = ControlChannel.ServeAsync(listener, (words, _) => Task.FromResult(new ControlReply(0, string.Join('+', words) + "\n")), stop.Token);

        var reply = await ControlChannel.SendAsync(socket, ["ping", "me"], TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(0, reply.Exit);
        Assert.Equal("ping+me\n", reply.Stdout);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server);
    }
}
