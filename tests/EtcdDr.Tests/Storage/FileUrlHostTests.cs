using System.CommandLine;
using EtcdDr.Cli;
using EtcdDr.Storage;

namespace EtcdDr.Tests.Storage;

/// <summary>Issue 10: file://otherhost/path was written to /path on this machine.</summary>
public sealed class FileUrlHostTests
{
    [Theory]
    [InlineData("file://otherhost/var/backups")]
    [InlineData("file://backup.example.com/var/backups")]
    [InlineData("file://user@localhost/var/backups")]
    [InlineData("file://localhost:2222/var/backups")]
    public void A_file_url_naming_another_host_is_refused(string url)
    {
        var ex = Assert.Throws<DrException>(() => StoreUrl.Parse(url));
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("file:///dir", ex.Message);
    }

    [Theory]
    [InlineData("file:///var/backups", "/var/backups")]
    [InlineData("file://localhost/var/backups", "/var/backups")]
    [InlineData("/var/backups", "/var/backups")]
    public void Local_file_urls_still_work(string url, string path) => Assert.Equal(path, StoreUrl.Parse(url).Path);

    [Fact]
    public async Task The_cli_exits_2_and_writes_nothing()
    {
        using var dir = new TempDir();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr),
            ["snapshot", "list", "--from", "file://otherhost" + dir.Path, "--cluster", "c"], new InvocationConfiguration { Output = stdout, Error = stderr });

        Assert.True(exit == ExitCodes.Usage, stderr.ToString());
        Assert.Contains("file URL", stderr.ToString());
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }
}
