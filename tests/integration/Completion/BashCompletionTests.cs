using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Completion;

/// <summary>
/// The bash script from `etcd-dr completion bash`, sourced in a real bash that runs the single-file
/// binary as `etcd-dr` from PATH, answers TAB the way a user sees it: the function is called with
/// the COMP_* variables bash sets, and COMPREPLY is what bash would offer.
/// </summary>
public sealed class BashCompletionTests
{
    private static async Task<string[]> CompleteAsync(string line, IReadOnlyDictionary<string, string?>? environment = null)
    {
        using var dir = TempDirectory.Create("completion");
        var bin = Directory.CreateDirectory(dir.Combine("bin")).FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "etcd-dr"), RepositoryPaths.SingleFileBinary);
        // COMP_WORDS as bash splits a line (on blanks; a trailing blank starts an empty word).
        const string Driver = """
            source <(etcd-dr completion bash) || exit 90
            COMP_LINE=$1
            COMP_POINT=${#1}
            read -ra COMP_WORDS <<<"$1"
            [ "${1: -1}" = " " ] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _etcd_dr_complete
            printf '%s\n' "${COMPREPLY[@]}"
            """;
        var env = new Dictionary<string, string?> { ["PATH"] = $"{bin}:/usr/bin:/bin", ["HOME"] = dir.Path };
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
            env[k] = v;
        var result = await ProcessRunner.RunAsync(Prerequisites.Require("bash", "apt-get install bash"), ["-c", Driver, "complete-test", line],
            new ProcessRunOptions { Environment = env, Timeout = TimeSpan.FromSeconds(60) });
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task Snap_tab_offers_the_snapshot_verb()
    {
        Assert.Equal(["snapshot"], await CompleteAsync("etcd-dr snap"));
    }

    [Fact]
    public async Task Lab_break_tab_offers_every_fault_kind_and_its_options_without_dos_style_help()
    {
        var offered = await CompleteAsync("etcd-dr lab break ");
        foreach (var kind in new[] { "kill-etcd", "stop-etcd", "wipe-data", "corrupt-data", "lose-quorum", "cut-off", "lose-host" })
            Assert.Contains(kind, offered);
        Assert.Contains("--host", offered);
        Assert.DoesNotContain("/?", offered);
        Assert.DoesNotContain("-?", offered);
    }

    [Fact]
    public async Task Flavors_complete_in_the_lower_case_the_docs_use()
    {
        Assert.Equal(["kubeadm", "kubespray", "kubespray-docker"], await CompleteAsync("etcd-dr lab up --flavor kub"));
    }

    [Fact]
    public async Task Host_names_come_from_the_inventory_given_with_i()
    {
        using var dir = TempDirectory.Create("completion-inv");
        var inventory = dir.Combine("etcd-dr.yaml");
        await File.WriteAllTextAsync(inventory, """
            cluster: prod
            masters:
              - { name: cp-alpha, address: 10.0.0.11 }
              - { name: cp-beta, address: 10.0.0.12 }
              - { name: other, address: 10.0.0.13 }
            """);
        Assert.Equal(["cp-alpha", "cp-beta"], await CompleteAsync($"etcd-dr pki backup -i {inventory} --host cp-"));
    }

    [Fact]
    public async Task The_zsh_and_fish_scripts_name_the_suggest_directive()
    {
        foreach (var shell in new[] { "zsh", "fish" })
        {
            var result = await CliRunner.RunAsync("completion", shell);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains("[suggest:", result.Stdout, StringComparison.Ordinal);
        }
        var bad = await CliRunner.RunAsync("completion", "powershell");
        Assert.Equal(2, bad.ExitCode);
    }
}
