using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A long-running server process for a test (s3rver, Azurite): started with an argument list,
/// considered up once its port accepts connections, killed with its children on dispose. Its output
/// is kept for failure messages.
/// </summary>
public sealed class BackgroundServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BackgroundServer(Process process, string description)
    {
        _process = process;
        Description = description;
    }

    public string Description { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static async Task<BackgroundServer> StartAsync(string program, IReadOnlyList<string> arguments, int port, TimeSpan startupTimeout, CancellationToken ct = default)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        var process = new Process { StartInfo = startInfo };
        var server = new BackgroundServer(process, ProcessRunner.Describe(program, arguments));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.Start();
        ChildProcessReaper.Track(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitForPortAsync(port, startupTimeout, ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    private async Task WaitForPortAsync(int port, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"{Description} exited with code {_process.ExitCode} before listening on port {port}.\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException)
            {
            }
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"{Description} did not listen on port {port} within {timeout.TotalSeconds:0} s.\n{Output}");
            await Task.Delay(100, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                ProcessRunner.KillTree(_process);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            ChildProcessReaper.Forget(_process);
            _process.Dispose();
        }
    }
}
