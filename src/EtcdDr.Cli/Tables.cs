using Spectre.Console;

namespace EtcdDr.Cli;

/// <summary>A Spectre console over any TextWriter: colours only on a real terminal, and a wide
/// page when redirected so tables are not folded to 80 columns in logs.</summary>
public static class Tables
{
    public static IAnsiConsole ConsoleFor(TextWriter output)
    {
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal)
            console.Profile.Width = 240;
        return console;
    }
}
