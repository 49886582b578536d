using System.Diagnostics;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Smoke;

/// <summary>The process plumbing every integration test leans on.</summary>
public sealed class HarnessSmokeTests
{
    [Fact]
    public async Task Arguments_reach_the_program_verbatim_without_a_shell()
    {
        var result = await ProcessRunner.RunAsync("/usr/bin/printf", ["[%s]", "two words", "$HOME", "; rm -rf /", ""]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("[two words][$HOME][; rm -rf /][]", result.Stdout);
    }

    [Fact]
    public async Task Stdin_and_environment_are_passed_and_prefixed_variables_removed()
    {
        var options = new ProcessRunOptions
        {
            StandardInput = "line one\nline two\n",
            Environment = new Dictionary<string, string?> { ["ETCD_DR_PROBE"] = "set-by-test", ["ETCDCTL_API"] = null },
        };
        var cat = await ProcessRunner.RunAsync("/bin/cat", [], options);
        Assert.Equal("line one\nline two\n", cat.Stdout);

        var env = await ProcessRunner.RunAsync("/usr/bin/env", [], options with
        {
            StandardInput = null,
            RemoveEnvironmentPrefixes = ["PATH"],
        });
        var variables = env.Stdout.Split('\n');
        Assert.Contains("ETCD_DR_PROBE=set-by-test", variables);
        Assert.DoesNotContain(variables, v => v.StartsWith("PATH=", StringComparison.Ordinal));
        Assert.DoesNotContain(variables, v => v.StartsWith("ETCDCTL_API=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Timeout_kills_the_process_and_says_so()
    {
        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<TimeoutException>(() => ProcessRunner.RunAsync(
            "/bin/sleep", ["30"], new ProcessRunOptions { Timeout = TimeSpan.FromMilliseconds(300) }));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("sleep 30", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_kills_the_process_and_throws_cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ProcessRunner.RunAsync("/bin/sleep", ["30"], null, cancel.Token));
    }

    [Fact]
    public void Missing_program_fails_with_the_package_to_install()
    {
        var failure = Assert.Throws<PrerequisiteMissingException>(
            () => Prerequisites.Require("etcd-dr-no-such-program", "apt-get install etcd-dr-imaginary"));

        Assert.Contains("etcd-dr-no-such-program", failure.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install etcd-dr-imaginary", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Installed_programs_are_found_with_full_paths()
    {
        Assert.Equal("/usr/bin/etcd", Prerequisites.Etcd);
        Assert.True(Path.IsPathRooted(Prerequisites.Etcdctl));
    }

    [Fact]
    public void Loopback_blocks_are_distinct_and_avoid_the_lab_range()
    {
        var first = LoopbackAddresses.AllocateCluster(3);
        var second = LoopbackAddresses.AllocateCluster(3);

        Assert.Equal(3, first.Select(e => e.Address).Distinct().Count());
        Assert.Empty(first.Select(e => e.Address).Intersect(second.Select(e => e.Address)));
        Assert.All(first.Concat(second), e =>
        {
            var bytes = e.Address.GetAddressBytes();
            Assert.Equal(127, bytes[0]);
            Assert.NotEqual(0, bytes[1]);
        });
    }

    [Fact]
    public void Temp_directory_is_private_and_removed_on_dispose()
    {
        string path;
        using (var directory = TempDirectory.Create())
        {
            path = directory.Path;
            File.WriteAllText(directory.Combine("file"), "x");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            Assert.Contains(nameof(Temp_directory_is_private_and_removed_on_dispose), path, StringComparison.Ordinal);
        }
        Assert.False(Directory.Exists(path));
    }
}
