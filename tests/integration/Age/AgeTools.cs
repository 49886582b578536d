namespace EtcdDr.IntegrationTests.Age;

/// <summary>
/// Finds the reference tools the interop tests drive. A missing tool fails the test with the
/// package to install: these tests are the proof of compatibility and must never be skipped.
/// </summary>
public static class AgeTools
{
    public static string Age => Require("age", "apt-get install age (the reference age CLI, 1.1.x)");
    public static string AgeKeygen => Require("age-keygen", "apt-get install age");
    // age reads passphrases only from a terminal; util-linux `script` gives it a pseudo-terminal.
    public static string Script => Require("script", "apt-get install bsdutils (util-linux `script`)");
    public static string Tar => Require("tar", "apt-get install tar");

    public static string Require(string name, string install)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"required tool '{name}' is not installed: {install}");
        return name;
    }

    /// <summary>
    /// Quotes one argument for the POSIX shell that `script -c` starts. `script` offers no argv form,
    /// so this is the one place a command line is built; every argument is single-quoted.
    /// </summary>
    public static string ShellQuote(string argument) => "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>The etcd-dr apphost built next to the tests (the project reference copies it).</summary>
    public static string EtcdDr
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "etcd-dr");
            Assert.True(File.Exists(path), $"{path} is missing: build the integration tests project");
            return path;
        }
    }

    /// <summary>Runs any command on a pseudo-terminal fed with <paramref name="ttyInput"/>.</summary>
    public static Task<AgeProcessResult> RunOnTerminalAsync(IEnumerable<string> command, string ttyInput, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? typeAfter = null)
    {
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["SHELL"] = "/bin/sh" };
        return AgeProcessRunner.RunAsync(Script, ["--quiet", "--return", "--command", string.Join(' ', command.Select(ShellQuote)), "/dev/null"],
            stdin: System.Text.Encoding.UTF8.GetBytes(ttyInput), workingDirectory: workingDirectory, environment: env, writeStdinAfter: typeAfter);
    }

    /// <summary>
    /// Runs `age` with its terminal being a pseudo-terminal whose input is <paramref name="ttyInput"/>
    /// (age's passphrase prompts read the terminal, never stdin). Returns age's exit status.
    /// </summary>
    public static Task<AgeProcessResult> RunAgeOnTerminalAsync(IEnumerable<string> ageArguments, string ttyInput, string workingDirectory) =>
        RunOnTerminalAsync(new[] { Age }.Concat(ageArguments), ttyInput, workingDirectory);
}
