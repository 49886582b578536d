using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>TLS files one member serves with (server side and peer side).</summary>
public sealed record EtcdMemberTlsFiles(
    string TrustedCaFile, string CertFile, string KeyFile, string PeerCertFile, string PeerKeyFile);

/// <summary>Everything needed to (re)start one member; <see cref="EtcdMember.Arguments"/> is derived from it.</summary>
public sealed record EtcdMemberConfig(
    string Name,
    MemberEndpoint Endpoint,
    string DataDir,
    string LogFile,
    string InitialCluster,
    string InitialClusterToken,
    int SnapshotCount,
    EtcdMemberTlsFiles? Tls,
    IReadOnlyList<string> ExtraArguments)
{
    public string Scheme => Tls is null ? "http" : "https";

    public string ClientUrl => $"{Scheme}://{Endpoint.Address}:{Endpoint.ClientPort}";

    public string PeerUrl => $"{Scheme}://{Endpoint.Address}:{Endpoint.PeerPort}";
}

/// <summary>
/// One real etcd process. Its stdout and stderr (zap JSON logs, and Go panics) go to
/// <see cref="LogFile"/>, appended across restarts with a marker line per start.
/// </summary>
public sealed class EtcdMember
{
    private readonly Lock _gate = new();
    private Process? _process;
    private StreamWriter? _log;
    private int _starts;

    internal EtcdMember(EtcdMemberConfig config)
    {
        Config = config;
        Arguments = BuildArguments(config);
    }

    public EtcdMemberConfig Config { get; }
    public string Name => Config.Name;
    public IPAddress Address => Config.Endpoint.Address;
    public string ClientUrl => Config.ClientUrl;
    public string PeerUrl => Config.PeerUrl;
    public string DataDir => Config.DataDir;
    public string LogFile => Config.LogFile;

    /// <summary>The etcd argument list (no shell involved), for messages and for tests that want to look.</summary>
    public IReadOnlyList<string> Arguments { get; }

    public bool IsRunning
    {
        get
        {
            lock (_gate)
                return _process is { HasExited: false };
        }
    }

    public int? ProcessId
    {
        get
        {
            lock (_gate)
                return _process is { HasExited: false } p ? p.Id : null;
        }
    }

    /// <summary>Exit code of the current process if it has exited on its own (crash, bad flag).</summary>
    public int? ExitCodeIfExited
    {
        get
        {
            lock (_gate)
                return _process is { HasExited: true } p ? p.ExitCode : null;
        }
    }

    /// <summary>The last <paramref name="lines"/> lines of the log, for failure messages.</summary>
    public string ReadLogTail(int lines = 40)
    {
        if (!File.Exists(LogFile))
            return "(no log file yet)";
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var tail = new Queue<string>(lines);
        while (reader.ReadLine() is { } line)
        {
            if (tail.Count == lines)
                tail.Dequeue();
            tail.Enqueue(line);
        }
        return string.Join('\n', tail);
    }

    /// <summary>The whole log (restarts included); tests grep it for the reason etcd refused something.</summary>
    public string ReadLog()
    {
        if (!File.Exists(LogFile))
            return string.Empty;
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    internal void Start(string etcdPath)
    {
        lock (_gate)
        {
            if (_process is { HasExited: false })
                throw new InvalidOperationException($"Member {Name} is already running (pid {_process.Id}).");
            CloseProcess();

            _starts++;
            var log = new StreamWriter(new FileStream(LogFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8)
            {
                AutoFlush = true,
            };
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"=== etcd-dr test harness: start #{_starts} of {Name} at {DateTimeOffset.UtcNow:O}: {ProcessRunner.Describe(etcdPath, Arguments)}"));

            var startInfo = new ProcessStartInfo(etcdPath)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in Arguments)
                startInfo.ArgumentList.Add(argument);
            // ETCD_* variables are read by etcd as flags; an inherited one would silently change the member.
            ProcessRunner.ApplyEnvironment(startInfo, new ProcessRunOptions { RemoveEnvironmentPrefixes = ["ETCD_", "ETCDCTL_"] });

            var process = new Process { StartInfo = startInfo };
            process.OutputDataReceived += (_, e) => AppendLog(log, e.Data);
            process.ErrorDataReceived += (_, e) => AppendLog(log, e.Data);
            try
            {
                process.Start();
            }
            catch
            {
                log.Dispose();
                process.Dispose();
                throw;
            }
            ChildProcessReaper.Track(process);
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _process = process;
            _log = log;
        }
    }

    /// <summary>SIGTERM, then SIGKILL if etcd has not exited within <paramref name="grace"/>.</summary>
    internal async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        var process = CurrentProcess();
        if (process is null)
            return;
        if (!process.HasExited)
        {
            PosixSignals.Terminate(process.Id);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(grace);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ProcessRunner.KillTree(process);
            }
        }
        await FinishAsync(process, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>SIGKILL: the member dies the way a power cut or OOM kill would take it.</summary>
    internal async Task KillAsync(CancellationToken cancellationToken)
    {
        var process = CurrentProcess();
        if (process is null)
            return;
        ProcessRunner.KillTree(process);
        await FinishAsync(process, cancellationToken).ConfigureAwait(false);
    }

    private async Task FinishAsync(Process process, CancellationToken cancellationToken)
    {
        // Also drains the redirected output, so the log is complete before it is closed.
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (ReferenceEquals(_process, process))
                CloseProcess();
        }
    }

    private Process? CurrentProcess()
    {
        lock (_gate)
            return _process;
    }

    private void CloseProcess()
    {
        if (_process is not null)
        {
            ChildProcessReaper.Forget(_process);
            _process.Dispose();
            _process = null;
        }
        _log?.Dispose();
        _log = null;
    }

    private void AppendLog(StreamWriter log, string? line)
    {
        if (line is null)
            return;
        lock (_gate)
        {
            if (ReferenceEquals(_log, log))
                log.WriteLine(line);
        }
    }

    private static List<string> BuildArguments(EtcdMemberConfig config)
    {
        var arguments = new List<string>
        {
            "--name", config.Name,
            "--data-dir", config.DataDir,
            "--listen-client-urls", config.ClientUrl,
            "--advertise-client-urls", config.ClientUrl,
            "--listen-peer-urls", config.PeerUrl,
            "--initial-advertise-peer-urls", config.PeerUrl,
            "--initial-cluster", config.InitialCluster,
            "--initial-cluster-token", config.InitialClusterToken,
            // Ignored once the data dir holds a member, so restarts and restored dirs reuse the same list.
            "--initial-cluster-state", "new",
            "--snapshot-count", config.SnapshotCount.ToString(CultureInfo.InvariantCulture),
            // etcd 3.4 defaults to capnslog; zap JSON lines are what 3.5+ prints and are easy to grep.
            "--logger", "zap",
            "--log-outputs", "stderr",
        };
        if (config.Tls is { } tls)
        {
            arguments.AddRange(
            [
                "--cert-file", tls.CertFile,
                "--key-file", tls.KeyFile,
                "--client-cert-auth",
                "--trusted-ca-file", tls.TrustedCaFile,
                "--peer-cert-file", tls.PeerCertFile,
                "--peer-key-file", tls.PeerKeyFile,
                "--peer-client-cert-auth",
                "--peer-trusted-ca-file", tls.TrustedCaFile,
            ]);
        }
        arguments.AddRange(config.ExtraArguments);
        return arguments;
    }
}
