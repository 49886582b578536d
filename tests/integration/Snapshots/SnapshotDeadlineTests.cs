using System.Diagnostics;
using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;

namespace EtcdDr.IntegrationTests.Snapshots;

/// <summary>
/// A member that accepts the TCP connection and then says nothing must cost a bounded wait and a
/// fail-over, never a hang: over TLS the handshake stalls (the dial timeout), over h2c the call
/// stalls (the call deadline).
/// </summary>
public sealed class SnapshotDeadlineTests(ThreeMemberTlsClusterFixture fixture) : IClassFixture<ThreeMemberTlsClusterFixture>
{
    private EtcdCluster Cluster => fixture.Cluster;

    private static readonly string[] Timeouts = ["--dial-timeout", "1", "--command-timeout", "2"];

    private string[] Certs()
    {
        var c = Cluster.ClientCertPaths!;
        return ["--cacert", c.CaFile, "--cert", c.CertFile, "--key", c.KeyFile];
    }

    [Theory]
    [InlineData("https")]
    [InlineData("http")]
    public async Task Snapshot_save_fails_over_from_a_silent_first_endpoint(string scheme)
    {
        using var silent = SilentListener.Start();
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        var endpoints = $"{scheme}://{silent.Authority},{Cluster.Endpoints[1]}";

        var result = await CliRunner.RunAsync(["snapshot", "save", "--endpoints", endpoints, .. Certs(), .. Timeouts, "-o", path, "--output", "json"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(silent.Accepted > 0, "the silent endpoint was never dialled");
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(Cluster.Endpoints[1], json.RootElement.GetProperty("manifest").GetProperty("endpoint").GetString());
        Assert.Contains(json.RootElement.GetProperty("failedAttempts").EnumerateArray(), f => f.GetString()!.Contains(silent.Authority));
        Assert.Equal(32, new FileInfo(path).Length % 512);
    }

    [Theory]
    [InlineData("https", "no connection within 1 s")]
    [InlineData("http", "no answer to /etcdserverpb.Maintenance/Status within 3 s")]
    public async Task Snapshot_save_with_only_a_silent_endpoint_fails_in_bounded_time(string scheme, string expected)
    {
        using var silent = SilentListener.Start();
        using var dir = TempDirectory.Create();
        var path = dir.Combine("s.db");
        var clock = Stopwatch.StartNew();

        var result = await CliRunner.RunAsync(["snapshot", "save", "--endpoints", $"{scheme}://{silent.Authority}", .. Certs(), .. Timeouts, "-o", path]);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.True(result.ExitCode == 4, result.ToString());
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.Contains(expected, result.Stderr);
        Assert.Contains(silent.Authority, result.Stderr);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Theory]
    [InlineData("https")]
    [InlineData("http")]
    public async Task Status_reports_the_silent_endpoint_and_the_rest(string scheme)
    {
        using var silent = SilentListener.Start();
        var clock = Stopwatch.StartNew();

        var result = await CliRunner.RunAsync(["status", "--endpoints", $"{scheme}://{silent.Authority},{Cluster.Endpoints[0]}", .. Certs(), .. Timeouts, "--output", "json"]);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        Assert.True(result.ExitCode == 6, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var endpoints = json.RootElement.GetProperty("endpoints").EnumerateArray().ToList();
        Assert.Contains(silent.Authority, endpoints[0].GetProperty("endpoint").GetString());
        Assert.Contains("within", endpoints[0].GetProperty("error").GetString());
        Assert.False(endpoints[1].TryGetProperty("error", out _), "the real member answered");
        Assert.Equal(3, json.RootElement.GetProperty("members").GetArrayLength());
    }
}
