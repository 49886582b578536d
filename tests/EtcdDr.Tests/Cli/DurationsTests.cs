using EtcdDr.Cli;

namespace EtcdDr.Tests.Cli;

/// <summary>Durations past what a TimeSpan holds: once an unhandled OverflowException.</summary>
public class DurationsTests
{
    [Theory]
    [InlineData("99999999d")]
    [InlineData("999999999999999999999h")]
    [InlineData("1e400s")]
    [InlineData("NaNs")]
    [InlineData("Infinityd")]
    [InlineData("-0.5m")]
    public void Out_of_range_and_non_numbers_are_refused_without_throwing(string text) => Assert.Null(Durations.Parse(text));

    [Theory]
    [InlineData("1.5h", 90)]
    [InlineData("10675199d", 10675199L * 24 * 60)]
    public void In_range_values_still_read(string text, long minutes) => Assert.Equal(TimeSpan.FromMinutes(minutes), Durations.Parse(text));

    [Fact]
    public async Task Prune_says_the_duration_is_too_long_and_exits_2()
    {
        using var dir = new TempDir();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr),
            ["snapshot", "prune", "--from", new Uri(dir.Path).AbsoluteUri, "--cluster", "c", "--unfinished-older-than", "99999999d"],
            new System.CommandLine.InvocationConfiguration { Output = stdout, Error = stderr });
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        Assert.Contains("'99999999d' is too long: at most 10675199d", stderr.ToString());
    }
}
