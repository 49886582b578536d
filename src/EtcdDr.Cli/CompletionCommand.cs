using System.CommandLine;
using System.CommandLine.Completions;

namespace EtcdDr.Cli;

/// <summary>
/// `etcd-dr completion bash|zsh|fish`: prints a script that asks etcd-dr itself what fits at the
/// cursor, through System.CommandLine's [suggest:POSITION] directive (as kubectl's __complete does).
/// So verbs, options, fixed values (flavors, fault kinds, scenarios) and dynamic ones (inventory and
/// lab host names) never go stale against the binary, and each shell's script stays a few lines.
/// </summary>
public static class CompletionCommand
{
    public static readonly string[] Shells = ["bash", "zsh", "fish"];

    public static Command Create(TextWriter output)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish" };
        shell.AcceptOnlyFromAmong(Shells);
        var command = new Command("completion", """
            Print a shell completion script. bash: `etcd-dr completion bash > /etc/bash_completion.d/etcd-dr`
            (or `source <(etcd-dr completion bash)` in ~/.bashrc); zsh: `etcd-dr completion zsh > "${fpath[1]}/_etcd-dr"`;
            fish: `etcd-dr completion fish > ~/.config/fish/completions/etcd-dr.fish`
            """);
        command.Arguments.Add(shell);
        command.SetAction(parse =>
        {
            output.Write(Script(parse.GetValue(shell)!));
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Script(string shell) => shell switch
    {
        "bash" => Bash,
        "zsh" => Zsh,
        "fish" => Fish,
        _ => throw new ArgumentOutOfRangeException(nameof(shell), shell, "bash, zsh or fish"),
    };

    /// <summary>
    /// Enum options complete as their names (KubesprayDocker), while the parsers take the spelling the
    /// docs use (kubespray-docker); the shells filter case-sensitively against what the user typed, so
    /// offer that kebab-case spelling. Applied to the whole tree once it is built.
    /// </summary>
    public static void LowerCaseEnumCompletions(Command command)
    {
        foreach (var option in command.Options)
        {
            var type = option.ValueType;
            var enumType = Nullable.GetUnderlyingType(type) ?? type;
            if (!enumType.IsEnum)
                continue;
            var names = Enum.GetNames(enumType).Select(KebabCase).ToArray();
            option.CompletionSources.Clear();
            option.CompletionSources.Add(names);
        }
        foreach (var sub in command.Subcommands)
            LowerCaseEnumCompletions(sub);
    }

    private static string KebabCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>Completions from a list that may fail to come (an unreadable inventory): none, quietly.</summary>
    public static Func<CompletionContext, IEnumerable<CompletionItem>> Quietly(Func<CompletionContext, IEnumerable<string>> names) => context =>
    {
        try
        {
            return [.. names(context).Select(n => new CompletionItem(n))];
        }
        catch (Exception ex) when (ex is DrException or IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return [];
        }
    };

    // Each script sends the line up to the cursor and its length; etcd-dr answers one word a line.
    // The DOS-style help aliases (/?, /h, -?) are noise in a shell and are dropped.
    private const string Bash = """
        # bash completion for etcd-dr (etcd-dr completion bash)
        _etcd_dr_complete() {
            local cur=${COMP_WORDS[COMP_CWORD]}
            local line=${COMP_LINE:0:COMP_POINT}
            local IFS=$'\n'
            local words
            words=$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null | grep -v -e '^/' -e '^-?$') || true
            COMPREPLY=($(compgen -W "$words" -- "$cur"))
        }
        complete -o default -F _etcd_dr_complete etcd-dr

        """;

    private const string Zsh = """
        #compdef etcd-dr
        # zsh completion for etcd-dr (etcd-dr completion zsh)
        _etcd_dr() {
            local line="${(j: :)words[1,CURRENT]}"
            local -a candidates
            candidates=("${(@f)$("${words[1]}" "[suggest:${#line}]" "$line" 2>/dev/null | grep -v -e '^/' -e '^-?$')}")
            compadd -- ${candidates:#}
        }
        compdef _etcd_dr etcd-dr

        """;

    private const string Fish = """
        # fish completion for etcd-dr (etcd-dr completion fish)
        function __etcd_dr_complete
            set -l line (commandline -cp)
            etcd-dr "[suggest:"(string length -- $line)"]" "$line" 2>/dev/null | string match -v -r '^(/|-\?$)'
        end
        complete -c etcd-dr -f -a '(__etcd_dr_complete)'

        """;
}
