namespace EtcdDr.Cli;

/// <summary>
/// The process-wide things a verb touches besides its TextWriters: binary stdin/stdout, environment
/// variables and the terminal. Tests pass their own so nothing reaches the real console.
/// </summary>
public sealed record CliEnvironment(
    Func<Stream> OpenStandardInput,
    Func<Stream> OpenStandardOutput,
    Func<string, string?> GetVariable,
    Func<string, string?> PromptSecret)
{
    public static CliEnvironment System { get; } = new(
        Console.OpenStandardInput,
        Console.OpenStandardOutput,
        Environment.GetEnvironmentVariable,
        TerminalPrompt.ReadSecret);
}
