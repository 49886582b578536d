using System.CommandLine;
using EtcdDr.Cli;

namespace EtcdDr.Tests.Cli;

/// <summary>The README's table says bad arguments exit 2; System.CommandLine alone would exit 1.</summary>
public sealed class ParseErrorExitCodeTests
{
    private static async Task<(int Exit, string Stderr)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr), args, new InvocationConfiguration { Output = stdout, Error = stderr });
        return (exit, stderr.ToString());
    }

    [Theory]
    [InlineData("snapshot", "save", "--no-such-option")]
    [InlineData("snapshot", "verify")]
    [InlineData("no-such-verb")]
    [InlineData("snapshot", "prune", "--keep-last", "many")]
    public async Task A_command_line_that_does_not_parse_exits_2(params string[] args)
    {
        var (exit, stderr) = await RunAsync(args);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.False(string.IsNullOrWhiteSpace(stderr), "the parse error is printed");
    }

    [Fact]
    public async Task Help_is_not_an_error()
    {
        var (exit, _) = await RunAsync("snapshot", "save", "--help");
        Assert.Equal(ExitCodes.Ok, exit);
    }
}
