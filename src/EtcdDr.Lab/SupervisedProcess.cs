using System.Diagnostics;

namespace EtcdDr.Lab;

/// <summary>
/// A long-running child of a master's init (sshd, etcd): argv, a clean environment, output appended
/// to a log file, and an orderly stop (SIGTERM, then SIGKILL after a grace period) the way systemd
/// and the kubelet stop things.
/// </summary>
public sealed class SupervisedProcess
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SupervisedProcess(Process process, StreamWriter log)
    {
        _process = process;
        _log = log;
        StartedAt = DateTimeOffset.UtcNow;
    }

    public int Pid => _process.Id;
    public DateTimeOffset StartedAt { get; }
    public Task<int> Exited => _exited.Task;
    public bool HasExited => _exited.Task.IsCompleted;
    public string Program => _process.StartInfo.FileName;

    public static SupervisedProcess Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var info = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        // Services start with systemd's clean environment, not with whatever the init inherited.
        info.Environment.Clear();
        foreach (var (k, v) in environment)
            info.Environment[k] = v;

        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var supervised = new SupervisedProcess(process, log);
        process.OutputDataReceived += (_, e) => supervised.WriteLog(e.Data);
        process.ErrorDataReceived += (_, e) => supervised.WriteLog(e.Data);
        process.Exited += (_, _) => supervised.OnExited();
        supervised.WriteLog($"--- etcd-dr lab: starting {ProcessRunnerDescribe(program, info.ArgumentList)} at {DateTimeOffset.UtcNow:O}");
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return supervised;
    }

    public bool Signal(int signal) => !HasExited && LabNative.Kill(Pid, signal);

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace, CancellationToken ct)
    {
        if (!HasExited)
        {
            Signal(LabNative.SigTerm);
            var finished = await Task.WhenAny(Exited, Task.Delay(grace, ct)).ConfigureAwait(false);
            if (finished != Exited)
            {
                WriteLog($"--- etcd-dr lab: no exit {grace.TotalSeconds:0} s after SIGTERM, sending SIGKILL");
                Signal(LabNative.SigKill);
            }
        }
        return await Exited.WaitAsync(ct).ConfigureAwait(false);
    }

    private void OnExited()
    {
        // WaitForExit() (no timeout) also drains the output pumps, so the log is complete.
        _process.WaitForExit();
        var code = _process.ExitCode;
        WriteLog($"--- etcd-dr lab: process {Pid} exited with code {code} at {DateTimeOffset.UtcNow:O}");
        lock (_log)
            _log.Dispose(); // a crash-looping unit must not leak one log handle per start
        _exited.TrySetResult(code);
    }

    private void WriteLog(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The log's folder went away (lose-host), or the process has exited and the log is closed.
            }
        }
    }

    private static string ProcessRunnerDescribe(string program, IEnumerable<string> args) => Remote.ProcessRunner.Describe(program, args);
}
