using EtcdDr.Cli;

namespace EtcdDr.IntegrationTests.Age;

/// <summary>What an in-process etcd-dr run printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Output, string Error, byte[] Stdout);

/// <summary>
/// Runs the real etcd-dr command tree in-process: text output into StringWriters, binary stdin and
/// stdout through memory streams, no environment variables and no terminal unless given.
/// </summary>
public static class CliHarness
{
    public static async Task<CliRun> RunAsync(string[] args, byte[]? stdin = null, IReadOnlyDictionary<string, string>? environment = null, bool stdoutIsTerminal = false)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var stdout = new KeepOpenMemoryStream();
        var env = new CliEnvironment(
            () => new MemoryStream(stdin ?? []),
            () => stdout,
            name => environment is not null && environment.TryGetValue(name, out var v) ? v : null,
            _ => null)
        {
            IsStandardOutputTerminal = () => stdoutIsTerminal,
        };
        var root = EtcdDrCli.Build(output, error, env);
        var exit = await EtcdDrCli.RunAsync(root, args, new System.CommandLine.InvocationConfiguration { Output = output, Error = error });
        return new CliRun(exit, output.ToString(), error.ToString(), stdout.ToArray());
    }

    /// <summary>The CLI disposes stdout when done; the test still wants to read it.</summary>
    private sealed class KeepOpenMemoryStream : MemoryStream
    {
        protected override void Dispose(bool disposing)
        {
        }

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
