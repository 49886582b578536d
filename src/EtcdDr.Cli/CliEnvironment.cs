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
    /// <summary>True when stdout is a terminal (binary ciphertext there would only garble it).</summary>
    public Func<bool> IsStandardOutputTerminal { get; init; } = () => false;

    public static CliEnvironment System { get; } = new(
        Console.OpenStandardInput,
        Console.OpenStandardOutput,
        Environment.GetEnvironmentVariable,
        TerminalPrompt.ReadSecret)
    {
        IsStandardOutputTerminal = () => !Console.IsOutputRedirected,
    };
}
