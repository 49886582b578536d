using System.Security.Cryptography;
using EtcdDr.Cli;

namespace EtcdDr.IntegrationTests.Age;

/// <summary>
/// Issue 10: `snapshot verify` and `decrypt` on a real FIFO (mkfifo). verify refuses it at once,
/// without waiting for a writer (it reads a file more than once); decrypt reads it exactly once,
/// as age does, and an interrupt ends its wait for a writer.
/// </summary>
public sealed class FifoInputTests : IDisposable
{
    private readonly AgeTempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private async Task<string> FifoAsync(string name)
    {
        var path = _dir.File(name);
        var made = await EtcdDr.Remote.ProcessRunner.RunAsync("mkfifo", [path], new EtcdDr.Remote.ProcessRunOptions());
        Assert.True(made.ExitCode == 0, made.ToString());
        return path;
    }

    private static async Task<CliRun> RunAsync(string[] args, CancellationToken ct = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment(() => new MemoryStream(), () => new MemoryStream(), _ => null, _ => null);
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(output, error, env), args, new System.CommandLine.InvocationConfiguration { Output = output, Error = error }, ct);
        return new CliRun(exit, output.ToString(), error.ToString(), []);
    }

    /// <summary>Unblocks a reader still waiting in open(2) on the FIFO, so no thread is left behind.
    /// Opening a FIFO read-write never blocks on Linux, with or without a reader waiting.</summary>
    private static void ReleaseWaitingReader(string fifo)
    {
        using var both = new FileStream(fifo, FileMode.Open, FileAccess.ReadWrite);
    }

    [Fact]
    public async Task Verify_refuses_a_fifo_at_once_without_waiting_for_a_writer()
    {
        var fifo = await FifoAsync("snap.db");
        try
        {
            var run = await Task.Run(() => RunAsync(["snapshot", "verify", fifo])).WaitAsync(TimeSpan.FromSeconds(20));

            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains("FIFO", run.Error);
            Assert.Contains("not a regular file", run.Error);
        }
        finally
        {
            ReleaseWaitingReader(fifo);
        }
    }

    [Fact]
    public async Task Verify_refuses_a_fifo_as_the_manifest()
    {
        var snapshot = _dir.File("snap.db");
        await File.WriteAllBytesAsync(snapshot, new byte[544]);
        var fifo = await FifoAsync("snap.db.manifest.json");
        try
        {
            var run = await Task.Run(() => RunAsync(["snapshot", "verify", snapshot])).WaitAsync(TimeSpan.FromSeconds(20));

            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains("manifest.json is a FIFO", run.Error);
        }
        finally
        {
            ReleaseWaitingReader(fifo);
        }
    }

    [Fact]
    public async Task Decrypt_reads_a_fifo_exactly_once()
    {
        var key = _dir.File("key.txt");
        var generated = await RunAsync(["key", "generate", "-o", key]);
        Assert.Equal(0, generated.ExitCode);
        var plain = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(_dir.File("plain"), plain);
        var encrypted = _dir.File("file.age");
        var encrypt = await RunAsync(["encrypt", "-r", generated.Output.Trim()["Public key: ".Length..], "-o", encrypted, _dir.File("plain")]);
        Assert.True(encrypt.ExitCode == 0, encrypt.ToString());
        var fifo = await FifoAsync("in.age");

        // One writer, once: a reader that opened the FIFO a second time would wait forever.
        var writer = Task.Run(async () =>
        {
            await using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
            await w.WriteAsync(await File.ReadAllBytesAsync(encrypted));
        });
        try
        {
            var run = await RunAsync(["decrypt", "-i", key, "-o", _dir.File("out"), fifo]).WaitAsync(TimeSpan.FromSeconds(30));
            await writer.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(plain, await File.ReadAllBytesAsync(_dir.File("out")));
        }
        finally
        {
            ReleaseWaitingReader(fifo);
        }
    }

    [Fact]
    public async Task Decrypt_waiting_for_a_fifo_writer_ends_on_interrupt_with_130()
    {
        var key = _dir.File("key.txt");
        Assert.Equal(0, (await RunAsync(["key", "generate", "-o", key])).ExitCode);
        var fifo = await FifoAsync("nobody-writes.age");
        using var interrupt = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            var run = await Task.Run(() => RunAsync(["decrypt", "-i", key, "-o", _dir.File("out"), fifo], interrupt.Token)).WaitAsync(TimeSpan.FromSeconds(20));

            Assert.True(run.ExitCode == 130, run.ToString());
            Assert.False(File.Exists(_dir.File("out")));
        }
        finally
        {
            ReleaseWaitingReader(fifo);
        }
    }
}
