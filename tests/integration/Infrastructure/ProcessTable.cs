namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>Reads /proc so a test can prove that nothing it started is still running.</summary>
public static class ProcessTable
{
    /// <summary>Pids whose command line (arguments joined by spaces) contains <paramref name="fragment"/>.</summary>
    public static IReadOnlyList<int> FindByCommandLine(string fragment) =>
        [.. Processes().Where(p => p.CommandLine.Contains(fragment, StringComparison.Ordinal)).Select(p => p.Pid)];

    /// <summary>Every other process's command line, arguments joined by spaces.</summary>
    public static IReadOnlyList<string> CommandLines() => [.. Processes().Select(p => p.CommandLine)];

    private static IEnumerable<(int Pid, string CommandLine)> Processes()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
                continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').TrimEnd();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                continue; // exited while we looked, or not ours to read
            }
            yield return (pid, commandLine);
        }
    }
}
