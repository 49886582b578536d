namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// One cluster shared by all tests of a class (<c>IClassFixture&lt;ThreeMemberTlsClusterFixture&gt;</c>),
/// started once and killed when the class is done, so each test does not pay the start-up. Tests that
/// stop or kill a member must start it again before they end (use try/finally), and should write
/// under a key prefix of their own.
/// </summary>
public abstract class EtcdClusterFixture : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    public EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster fixture has not started.");

    protected abstract EtcdClusterOptions Options { get; }

    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _cluster = await EtcdCluster.StartAsync(Options, timeout.Token).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
            await _cluster.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Three members, https with client and peer certificate auth, ECDSA P-256 certificates.</summary>
public sealed class ThreeMemberTlsClusterFixture : EtcdClusterFixture
{
    protected override EtcdClusterOptions Options => new() { Name = "shared3tls", MemberCount = 3, Tls = true };
}

/// <summary>One plain-http member: the cheapest real etcd.</summary>
public sealed class SingleMemberClusterFixture : EtcdClusterFixture
{
    protected override EtcdClusterOptions Options => new() { Name = "shared1" };
}
