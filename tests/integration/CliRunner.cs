using EtcdDr.Cli;

namespace EtcdDr.IntegrationTests;

/// <summary>Runs the real etcd-dr command line in-process and captures what it printed.</summary>
public static class CliRunner
{
    public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr), args, new System.CommandLine.InvocationConfiguration { Output = stdout, Error = stderr });
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>--endpoints/--cacert/--cert/--key for a test cluster.</summary>
    public static string[] ConnectionArgs(Infrastructure.EtcdCluster cluster, IEnumerable<string>? endpoints = null)
    {
        List<string> args = ["--endpoints", string.Join(',', endpoints ?? cluster.Endpoints)];
        if (cluster.ClientCertPaths is { } tls)
            args.AddRange(["--cacert", tls.CaFile, "--cert", tls.CertFile, "--key", tls.KeyFile]);
        return [.. args];
    }
}
