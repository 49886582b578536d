using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// A real etcd cluster of 1..n processes on private loopback addresses, for one test or one test class.
/// Start it with <see cref="StartAsync"/> (returns once every member answers <c>etcdctl endpoint health</c>);
/// dispose it to kill every member and delete its folder (data dirs, certs, logs).
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan HealthPollInterval = TimeSpan.FromMilliseconds(150);

    private readonly TempDirectory _directory;
    private readonly string _etcd;
    private readonly string _etcdctl;
    private bool _disposed;

    private EtcdCluster(EtcdClusterOptions options, TempDirectory directory, EtcdClusterPki? pki, IReadOnlyList<EtcdMember> members, string token)
    {
        Options = options;
        _directory = directory;
        Pki = pki;
        Members = members;
        InitialClusterToken = token;
        _etcd = Prerequisites.Etcd;
        _etcdctl = Prerequisites.Etcdctl;
    }

    public EtcdClusterOptions Options { get; }
    public IReadOnlyList<EtcdMember> Members { get; }
    public string InitialClusterToken { get; }

    /// <summary>The cluster's own folder: pki/, etcd-N.data/, etcd-N.log, plus room for test files.</summary>
    public string Directory => _directory.Path;

    /// <summary>Certificates and the CA; null for a plain-http cluster.</summary>
    public EtcdClusterPki? Pki { get; }

    public bool IsTls => Pki is not null;

    /// <summary>Client URLs of all members, running or not.</summary>
    public IReadOnlyList<string> Endpoints => [.. Members.Select(m => m.ClientUrl)];

    /// <summary>Client URLs of the members that are running now.</summary>
    public IReadOnlyList<string> RunningEndpoints => [.. Members.Where(m => m.IsRunning).Select(m => m.ClientUrl)];

    /// <summary>ca.crt, client-root.crt and client-root.key (CN "root"); null for a plain cluster.</summary>
    public EtcdClientCertificatePaths? ClientCertPaths => Pki?.ClientCertificate;

    /// <summary>"etcd-1=https://127.a.b.1:2380,...": the --initial-cluster value.</summary>
    public string InitialCluster => string.Join(',', Members.Select(m => $"{m.Name}={m.PeerUrl}"));

    public static async Task<EtcdCluster> StartAsync(EtcdClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EtcdClusterOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MemberCount, 1);
        // Resolve binaries first: a missing etcd must fail with the package name, not a Win32Exception.
        _ = Prerequisites.Etcd;
        _ = Prerequisites.Etcdctl;

        var directory = TempDirectory.Create(options.Name);
        EtcdClusterPki? pki = null;
        EtcdCluster? cluster = null;
        try
        {
            var endpoints = LoopbackAddresses.AllocateCluster(options.MemberCount);
            if (options.Tls)
                pki = EtcdClusterPki.Create(Path.Combine(directory.Path, "pki"), options.KeyAlgorithm);
            var scheme = options.Tls ? "https" : "http";
            var names = endpoints.Select((_, i) => $"{options.Name}-{i + 1}").ToList();
            var initialCluster = string.Join(',', endpoints.Select((e, i) => $"{names[i]}={scheme}://{e.Address}:{e.PeerPort}"));
            var token = $"{options.Name}-{Guid.NewGuid():N}";
            var members = endpoints.Select((endpoint, i) => new EtcdMember(new EtcdMemberConfig(
                Name: names[i],
                Endpoint: endpoint,
                DataDir: Path.Combine(directory.Path, names[i] + ".data"),
                LogFile: Path.Combine(directory.Path, names[i] + ".log"),
                InitialCluster: initialCluster,
                InitialClusterToken: token,
                SnapshotCount: options.SnapshotCount,
                Tls: pki?.IssueMember(names[i], endpoint.Address),
                ExtraArguments: options.ExtraArguments))).ToList();

            cluster = new EtcdCluster(options, directory, pki, members, token);
            if (options.RestoreFromSnapshot is { } snapshot)
                await cluster.RestoreDataDirsAsync(snapshot, cancellationToken).ConfigureAwait(false);
            // All at once: a new multi-member cluster only elects a leader once a quorum is up.
            foreach (var member in members)
                member.Start(cluster._etcd);
            await cluster.WaitHealthyAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                pki?.Dispose();
                directory.Dispose();
            }
            throw;
        }
    }

    /// <summary>Graceful stop (SIGTERM, SIGKILL after 10 s), like systemctl stop.</summary>
    public Task StopMemberAsync(int index, CancellationToken cancellationToken = default) =>
        Members[index].StopAsync(StopGrace, cancellationToken);

    /// <summary>SIGKILL: no chance to flush or say goodbye to peers.</summary>
    public Task KillMemberAsync(int index, CancellationToken cancellationToken = default) =>
        Members[index].KillAsync(cancellationToken);

    /// <summary>Starts a stopped member on its existing data dir and waits until it is healthy.</summary>
    public async Task StartMemberAsync(int index, CancellationToken cancellationToken = default)
    {
        var member = Members[index];
        member.Start(_etcd);
        await WaitMemberHealthyAsync(member, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until every running member answers <c>endpoint health</c> (so a leader exists).</summary>
    public Task WaitHealthyAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(Members.Where(m => m.ExitCodeIfExited is not null || m.IsRunning)
            .Select(m => WaitMemberHealthyAsync(m, cancellationToken)));

    /// <summary>etcdctl with ETCDCTL_API=3, --endpoints and TLS flags injected before <paramref name="arguments"/>.</summary>
    public Task<ProcessResult> EtcdctlAsync(params string[] arguments) => RunEtcdctlAsync(arguments);

    public Task<ProcessResult> RunEtcdctlAsync(
        IEnumerable<string> arguments, EtcdctlOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EtcdctlOptions();
        var endpoints = options.Endpoints ?? RunningEndpointsOrAll();
        var certificate = options.ClientCertificate ?? ClientCertPaths;
        return ProcessRunner.RunAsync(
            _etcdctl,
            [.. GlobalEtcdctlFlags(endpoints, certificate), .. arguments],
            EtcdctlProcessOptions(options.Timeout, options.StandardInput),
            cancellationToken);
    }

    public async Task PutAsync(string key, string value, CancellationToken cancellationToken = default) =>
        (await RunEtcdctlAsync(["put", "--", key, value], cancellationToken: cancellationToken).ConfigureAwait(false))
            .EnsureSuccess($"etcdctl put {key}");

    /// <summary>The value of <paramref name="key"/>, or null when it does not exist. Reads JSON, so any bytes survive.</summary>
    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var result = (await RunEtcdctlAsync(["get", "-w", "json", "--", key], cancellationToken: cancellationToken).ConfigureAwait(false))
            .EnsureSuccess($"etcdctl get {key}");
        using var json = JsonDocument.Parse(result.Stdout);
        if (!json.RootElement.TryGetProperty("kvs", out var kvs) || kvs.GetArrayLength() == 0)
            return null;
        return Encoding.UTF8.GetString(kvs[0].GetProperty("value").GetBytesFromBase64());
    }

    /// <summary>How many keys start with <paramref name="prefix"/> (etcd 3.4 has no --count-only; count survives --limit 1).</summary>
    public async Task<long> CountKeysAsync(string prefix, CancellationToken cancellationToken = default)
    {
        var result = (await RunEtcdctlAsync(["get", "--prefix", "--keys-only", "--limit", "1", "-w", "json", "--", prefix],
            cancellationToken: cancellationToken).ConfigureAwait(false)).EnsureSuccess($"etcdctl get --prefix {prefix}");
        using var json = JsonDocument.Parse(result.Stdout);
        return json.RootElement.TryGetProperty("count", out var count) ? count.GetInt64() : 0;
    }

    /// <summary>
    /// Writes <paramref name="count"/> keys "{prefix}00000000".. with deterministic values of
    /// <paramref name="valueSize"/> bytes, batched into etcdctl transactions (128 ops, the default
    /// --max-txn-ops, and under the 1.5 MiB request limit) so a few thousand keys take seconds, not minutes.
    /// Returns what was written so a test can compare after a restore.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> PutKeysAsync(
        int count, string prefix, int valueSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(valueSize, 1);
        if (prefix.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\'))
            throw new ArgumentException("The txn batch format cannot carry whitespace or quotes in keys.", nameof(prefix));

        const int maxOpsPerTxn = 128;
        const int maxBytesPerTxn = 1024 * 1024;
        var written = new Dictionary<string, string>(count, StringComparer.Ordinal);
        var batch = new StringBuilder();
        var ops = 0;
        for (var i = 0; i < count; i++)
        {
            var key = prefix + i.ToString("D8", CultureInfo.InvariantCulture);
            var value = DeterministicValue(i, valueSize);
            if (ops > 0 && (ops == maxOpsPerTxn || batch.Length + key.Length + value.Length + 8 > maxBytesPerTxn))
            {
                await RunTxnAsync(batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
                ops = 0;
            }
            batch.Append("put ").Append(key).Append(' ').Append(value).Append('\n');
            ops++;
            written[key] = value;
        }
        if (ops > 0)
            await RunTxnAsync(batch, cancellationToken).ConfigureAwait(false);
        return written;
    }

    /// <summary><c>etcdctl snapshot save</c> from one running member (etcdctl 3.4 refuses several endpoints here).</summary>
    public async Task<string> SaveSnapshotAsync(string path, CancellationToken cancellationToken = default)
    {
        var endpoint = RunningEndpointsOrAll()[0];
        (await RunEtcdctlAsync(["snapshot", "save", path], new EtcdctlOptions { Endpoints = [endpoint] }, cancellationToken)
            .ConfigureAwait(false)).EnsureSuccess($"etcdctl snapshot save {path}");
        return path;
    }

    /// <summary>Kills every member (data is throw-away, no need to be gentle) and deletes the folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Task.WhenAll(Members.Select(m => m.KillAsync(timeout.Token))).ConfigureAwait(false);
        Pki?.Dispose();
        _directory.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    internal static string DeterministicValue(int index, int size)
    {
        const string filler = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        var builder = new StringBuilder(index.ToString("D8", CultureInfo.InvariantCulture)).Append('-');
        while (builder.Length < size)
            builder.Append(filler, 0, Math.Min(filler.Length, size - builder.Length));
        return builder.ToString(0, size);
    }

    internal IReadOnlyList<string> GlobalEtcdctlFlags(IReadOnlyList<string> endpoints, EtcdClientCertificatePaths? certificate)
    {
        var flags = new List<string> { "--endpoints=" + string.Join(',', endpoints) };
        if (certificate is not null && IsTls)
        {
            flags.Add("--cacert=" + certificate.CaFile);
            flags.Add("--cert=" + certificate.CertFile);
            flags.Add("--key=" + certificate.KeyFile);
        }
        return flags;
    }

    internal static ProcessRunOptions EtcdctlProcessOptions(TimeSpan timeout, string? standardInput = null) => new()
    {
        Environment = new Dictionary<string, string?> { ["ETCDCTL_API"] = "3" },
        RemoveEnvironmentPrefixes = ["ETCDCTL_"],
        StandardInput = standardInput,
        Timeout = timeout,
    };

    private async Task RunTxnAsync(StringBuilder puts, CancellationToken cancellationToken)
    {
        // Non-interactive txn reads: compares, blank line, success ops, blank line, failure ops, blank line.
        var input = "\n" + puts + "\n\n";
        var result = await RunEtcdctlAsync(["txn"], new EtcdctlOptions { StandardInput = input }, cancellationToken).ConfigureAwait(false);
        result.EnsureSuccess("etcdctl txn (bulk put)");
        if (!result.Stdout.StartsWith("SUCCESS", StringComparison.Ordinal))
            throw new InvalidOperationException($"etcdctl txn did not report SUCCESS.\n{result}");
    }

    private IReadOnlyList<string> RunningEndpointsOrAll()
    {
        var running = RunningEndpoints;
        return running.Count > 0 ? running : Endpoints;
    }

    private async Task RestoreDataDirsAsync(string snapshot, CancellationToken cancellationToken)
    {
        foreach (var member in Members)
        {
            var request = new SnapshotRestoreRequest(snapshot, member.Name, member.DataDir, InitialCluster, member.PeerUrl, InitialClusterToken);
            var result = await SnapshotRestore.RestoreDataDirAsync(request, cancellationToken).ConfigureAwait(false);
            result.EnsureSuccess($"etcdctl snapshot restore {snapshot} for {member.Name}");
        }
    }

    private async Task WaitMemberHealthyAsync(EtcdMember member, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ProcessResult? last = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member.ExitCodeIfExited is { } exitCode)
                throw StartupFailure(member, $"etcd exited with code {exitCode} before becoming healthy", last, clock.Elapsed);

            // Real readiness: endpoint health does a quorum read, so it passes only once a leader exists.
            last = await ProcessRunner.RunAsync(
                _etcdctl,
                [.. GlobalEtcdctlFlags([member.ClientUrl], ClientCertPaths), "--dial-timeout=1s", "--command-timeout=2s", "endpoint", "health"],
                EtcdctlProcessOptions(TimeSpan.FromSeconds(10)),
                cancellationToken).ConfigureAwait(false);
            // etcdctl 3.4 prints the health verdict on stderr, not stdout.
            if (last.Succeeded && (last.Stdout + last.Stderr).Contains("is healthy", StringComparison.Ordinal))
                return;
            if (clock.Elapsed > Options.StartupTimeout)
                throw StartupFailure(member, $"not healthy after {Options.StartupTimeout.TotalSeconds:0} s", last, clock.Elapsed);
            await Task.Delay(HealthPollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private static EtcdStartupException StartupFailure(EtcdMember member, string what, ProcessResult? lastHealthCheck, TimeSpan elapsed) =>
        new($"""
            etcd member {member.Name} ({member.ClientUrl}) {what} (waited {elapsed.TotalSeconds:0.0} s).
            argv: {ProcessRunner.Describe("etcd", member.Arguments)}
            last health check: {lastHealthCheck?.ToString() ?? "(none)"}
            --- tail of {member.LogFile} ---
            {member.ReadLogTail()}
            """);
}
