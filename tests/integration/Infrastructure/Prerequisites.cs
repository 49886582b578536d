using System.Collections.Concurrent;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>Raised when a program an integration test needs is not installed.</summary>
public sealed class PrerequisiteMissingException(string message) : Exception(message);

/// <summary>
/// Integration tests never skip themselves: a missing program fails the test with a message that says
/// what to install, so a green run always means the real thing was exercised.
/// </summary>
public static class Prerequisites
{
    // sshd and friends live in sbin, which is not on every PATH.
    private static readonly string[] ExtraDirectories = ["/usr/local/sbin", "/usr/sbin", "/sbin"];
    private static readonly ConcurrentDictionary<string, string> Found = new(StringComparer.Ordinal);

    /// <summary>Returns the full path of <paramref name="program"/>, or throws naming the package to install.</summary>
    public static string Require(string program, string installHint)
    {
        if (Found.TryGetValue(program, out var cached))
            return cached;
        var path = Locate(program) ?? throw new PrerequisiteMissingException(
            $"Integration test prerequisite missing: '{program}' was not found on PATH or in {string.Join(", ", ExtraDirectories)}. " +
            $"Install it ({installHint}); integration tests do not skip themselves.");
        Found[program] = path;
        return path;
    }

    public static string Etcd => Require("etcd", "apt-get install etcd-server");

    public static string Etcdctl => Require("etcdctl", "apt-get install etcd-client");

    public static string OpenSsl => Require("openssl", "apt-get install openssl");

    private static string? Locate(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
            return IsExecutable(program) ? Path.GetFullPath(program) : null;
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(ExtraDirectories);
        return directories.Select(directory => Path.Combine(directory, program)).FirstOrDefault(IsExecutable);
    }

    private static bool IsExecutable(string path)
    {
        if (!File.Exists(path))
            return false;
        if (OperatingSystem.IsWindows())
            return true;
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & anyExecute) != 0;
    }
}
