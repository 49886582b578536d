namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>Reads /proc so a test can prove that nothing it started is still running.</summary>
public static class ProcessTable
{
    /// <summary>Pids whose command line (arguments joined by spaces) contains <paramref name="fragment"/>.</summary>
    public static IReadOnlyList<int> FindByCommandLine(string fragment)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
                continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue; // exited while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (commandLine.Contains(fragment, StringComparison.Ordinal))
                found.Add(pid);
        }
        return found;
    }
}
