using System.Net;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// Azurite's Blob service (Microsoft's Azure Storage emulator, from npm) on 127.0.0.1 with a free
/// port and a private workspace, telemetry off. It verifies Shared Key signatures and SAS tokens
/// against the well-known emulator account devstoreaccount1.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    public const string Account = "devstoreaccount1";

    /// <summary>The emulator's published, fixed development key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly BackgroundServer _server;
    private readonly TempDirectory _directory;

    private Azurite(BackgroundServer server, TempDirectory directory, Uri endpoint)
    {
        _server = server;
        _directory = directory;
        Endpoint = endpoint;
    }

    /// <summary>Path-style: http://127.0.0.1:PORT/devstoreaccount1.</summary>
    public Uri Endpoint { get; }

    public static AzureCredential SharedKey => new AzureCredential.SharedKey(Account, Convert.FromBase64String(AccountKey));

    public static Task<Azurite> StartAsync(CancellationToken ct = default) => StartAsync(null, ct);

    /// <summary>
    /// With <paramref name="tls"/>: HTTPS with that certificate and bearer tokens accepted
    /// (`--oauth basic`: Azurite checks a token's issuer, audience and lifetime, not its signature).
    /// The SDK sends bearer tokens over HTTPS only, so the identity credentials need this.
    /// </summary>
    public static async Task<Azurite> StartAsync(TestCertificate? tls, CancellationToken ct = default)
    {
        var program = NodeTools.AzuriteBlob;
        var directory = TempDirectory.Create("azurite");
        try
        {
            var port = LoopbackAddresses.FreePort(IPAddress.Loopback);
            List<string> arguments = ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(), "--location", directory.Path, "--silent", "--disableTelemetry"];
            if (tls is not null)
                arguments.AddRange(["--cert", tls.CertificatePemPath, "--key", tls.KeyPemPath, "--oauth", "basic"]);
            var server = await BackgroundServer.StartAsync(program, arguments, port, TimeSpan.FromSeconds(120), ct); // generous: node starts slowly while eight engineers build
            return new Azurite(server, directory, new Uri($"{(tls is null ? "http" : "https")}://127.0.0.1:{port}/{Account}"));
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    public AzureBlobStoreOptions Options(string container, string prefix, AzureCredential? credential = null) =>
        new(Account, container, S3StoreOptions.NormalizePrefix(prefix), Endpoint, credential ?? SharedKey)
        {
            BlockSize = 4 << 20,
            ListPageSize = 2,
        };

    public async Task CreateContainerAsync(string container)
    {
        using var store = new AzureBlobStore(Options(container, ""));
        await store.CreateContainerAsync(default);
    }

    /// <summary>The URL the CLI would be given.</summary>
    public string Url(string container, string prefix) => $"azblob://{Account}/{container}/{prefix}?endpoint={Endpoint}";

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary>One Azurite for a test class, with container "backups".</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string Container = "backups";

    private Azurite? _server;

    public Azurite Server => _server ?? throw new InvalidOperationException("Azurite did not start");

    public async Task InitializeAsync()
    {
        _server = await Azurite.StartAsync();
        await _server.CreateContainerAsync(Container);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
