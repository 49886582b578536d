using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace EtcdDr.Lab;

/// <summary>
/// How the stand-in systemctl and the host-side lab verbs talk to a master's init: a Unix socket in
/// the master's run/ folder, one JSON array of words per connection, one JSON reply.
/// </summary>
public static class ControlChannel
{
    public static async Task<ControlReply> SendAsync(string socketPath, IReadOnlyList<string> words, TimeSpan timeout, CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        linked.CancelAfter(timeout);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using (var address = SocketAddress.For(socketPath))
                await socket.ConnectAsync(address.EndPoint, linked.Token).ConfigureAwait(false);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(words, LabJson.Default.IReadOnlyListString) + "\n"), linked.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var line = await reader.ReadLineAsync(linked.Token).ConfigureAwait(false);
            return line is null ? new ControlReply(1, "", "the master's init closed the connection without an answer\n")
                : JsonSerializer.Deserialize(line, LabJson.Default.ControlReply) ?? new ControlReply(1, "", "empty answer\n");
        }
        catch (SocketException ex)
        {
            throw new DrException($"the lab master behind {socketPath} does not answer ({ex.Message}); is the lab up?", FailureKind.Unreachable, ex);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DrException($"the lab master behind {socketPath} did not answer within {timeout.TotalSeconds:0} s", FailureKind.Unreachable);
        }
    }

    /// <summary>
    /// Binds the socket (mode 0600) and listens. Separate from <see cref="ServeAsync"/> so that a
    /// master's init fails before it starts any service when it cannot listen, instead of starting
    /// them and dying afterwards (which took sshd and etcd down at their next log line).
    /// </summary>
    public static Socket Listen(string socketPath)
    {
        File.Delete(socketPath);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            using (var address = SocketAddress.For(socketPath))
                listener.Bind(address.EndPoint);
            File.SetUnixFileMode(socketPath, LabFiles.Private);
            listener.Listen(32);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    public static async Task ServeAsync(Socket listener, Func<IReadOnlyList<string>, CancellationToken, Task<ControlReply>> handle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(listener);
        while (!ct.IsCancellationRequested)
        {
            var client = await listener.AcceptAsync(ct).ConfigureAwait(false);
            _ = Task.Run(() => HandleAsync(client, handle, ct), CancellationToken.None);
        }
    }

    private static async Task HandleAsync(Socket client, Func<IReadOnlyList<string>, CancellationToken, Task<ControlReply>> handle, CancellationToken ct)
    {
        using (client)
        {
            await using var stream = new NetworkStream(client, ownsSocket: false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            ControlReply reply;
            try
            {
                var line = await reader.ReadLineAsync(ct).ConfigureAwait(false);
                var words = line is null ? [] : JsonSerializer.Deserialize(line, LabJson.Default.StringArray) ?? [];
                reply = await handle(words, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                reply = new ControlReply(1, "", $"etcd-dr lab init: {ex.GetType().Name}: {ex.Message}\n");
            }
            try
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(reply, LabJson.Default.ControlReply) + "\n"), ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The client gave up waiting.
            }
        }
    }

    /// <summary>
    /// A Unix socket address for a path of any length. sun_path holds 108 bytes with its NUL, and a
    /// lab's STATE/masters/NAME/run/control.sock passes that once STATE is ~74 characters long (the
    /// drill matrix's kubespray wipe-all-force-new-cluster lab was 108): bind failed, the init died
    /// right after starting sshd and etcd, and both died with it. A longer path is reached through
    /// /proc/self/fd/N/NAME of its opened folder, for bind and connect alike.
    /// </summary>
    private sealed class SocketAddress : IDisposable
    {
        private const int MaxPathBytes = 107;
        private readonly int _folder;

        private SocketAddress(UnixDomainSocketEndPoint endPoint, int folder)
        {
            EndPoint = endPoint;
            _folder = folder;
        }

        public UnixDomainSocketEndPoint EndPoint { get; }

        public static SocketAddress For(string path)
        {
            if (Encoding.UTF8.GetByteCount(path) <= MaxPathBytes)
                return new SocketAddress(new UnixDomainSocketEndPoint(path), -1);
            var folder = LabNative.OpenFolderPath(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/");
            return new SocketAddress(new UnixDomainSocketEndPoint($"/proc/self/fd/{folder}/{Path.GetFileName(path)}"), folder);
        }

        public void Dispose()
        {
            if (_folder >= 0)
                LabNative.CloseDescriptor(_folder);
        }
    }
}
