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

    /// <summary>True when stderr is a terminal: progress lines go there.</summary>
    public Func<bool> IsStandardErrorTerminal { get; init; } = () => false;

    /// <summary>Asks a question on the terminal (echo on) and returns the line; null without a terminal.</summary>
    public Func<string, string?> PromptLine { get; init; } = _ => null;

    public static CliEnvironment System { get; } = new(
        Console.OpenStandardInput,
        Console.OpenStandardOutput,
        Environment.GetEnvironmentVariable,
        TerminalPrompt.ReadSecret)
    {
        IsStandardOutputTerminal = () => !Console.IsOutputRedirected,
        IsStandardErrorTerminal = () => !Console.IsErrorRedirected,
        PromptLine = prompt => TerminalPrompt.ReadLine(prompt, echo: true),
    };
}
