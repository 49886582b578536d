using System.Text.Json;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// Managed identity and workload identity, as far as Azurite allows: Azurite over HTTPS with
/// `--oauth basic` accepts bearer tokens (it checks issuer, audience and lifetime, not the
/// signature), and the token services are loopback fakes: the VM metadata service (reached through
/// AZURE_POD_IDENTITY_AUTHORITY_HOST, the override Azure.Identity and MSAL honour) and Entra ID's
/// token endpoint (AZURE_AUTHORITY_HOST). What this proves: the credential is chosen from the
/// environment as documented, the token request carries what the real services need (Metadata
/// header, resource, client id; the federated token file as client assertion), and the SDK puts the
/// token on every blob request. What it cannot prove: that real Entra accepts the assertion or that
/// the real metadata service answers as the fake does.
/// </summary>
[Collection(StoreEnvironmentCollection.Name)]
public sealed class AzureIdentityTests : IAsyncLifetime
{
    private const string Tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    private static readonly string[] CredentialVariables =
    [
        "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", AzureCredential.AuthVariable,
        "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    ];

    /// <summary>
    /// One metadata service for every test here: MSAL probes the endpoint once per process and keeps
    /// using what it found, so a fake per test would leave later tests talking to a closed port. Each
    /// test uses its own client id, and the answer depends on it.
    /// </summary>
    private static readonly Lazy<FakeTokenServer> SharedImds = new(() => FakeTokenServer.Imds(request =>
        request.PathAndQuery.Contains("client_id=no-such-identity", StringComparison.Ordinal)
            ? (400, """{"error":"invalid_request","error_description":"Identity not found"}""")
            : (200, ImdsToken(request.PathAndQuery.Contains("client_id=wrong-audience-identity", StringComparison.Ordinal) ? "https://management.azure.com" : "https://storage.azure.com"))));

    private readonly TestCertificate _tls = TestCertificate.Create();
    private Azurite? _azurite;

    private Azurite Server => _azurite ?? throw new InvalidOperationException("Azurite did not start");

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync(_tls);
        using var key = new AzureBlobStore(Server.Options(AzuriteFixture.Container, ""), _tls.TrustingHandler());
        await key.CreateContainerAsync(default);
    }

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
            await _azurite.DisposeAsync();
        _tls.Dispose();
    }

    /// <summary>Only the given variables set, every other credential variable cleared.</summary>
    private static EnvironmentScope Environment(params (string Name, string Value)[] set)
    {
        var values = CredentialVariables.ToDictionary(n => n, _ => (string?)null);
        foreach (var (name, value) in set)
            values[name] = value;
        return new EnvironmentScope(values);
    }

    private string Url(string prefix) => $"azblob://{Azurite.Account}/{AzuriteFixture.Container}/{prefix}?endpoint={Server.Endpoint}";

    private AzureBlobStore OpenFromEnvironment(string prefix) =>
        new(AzureBlobStoreOptions.FromUrl(StoreUrl.Parse(Url(prefix))) with { BlockSize = 4 << 20 }, _tls.TrustingHandler());

    private static string ImdsToken(string audience = "https://storage.azure.com") => JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["access_token"] = FakeTokenServer.StorageToken(Tenant, TimeSpan.FromHours(1), audience),
        ["expires_in"] = "3600",
        ["expires_on"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["resource"] = audience,
        ["token_type"] = "Bearer",
    });

    /// <summary>Writes three blocks and a small object, lists, reads back and deletes: every kind of request the store makes.</summary>
    private static async Task RoundTripAsync(AzureBlobStore store)
    {
        var big = new byte[9 << 20];
        new Random(7).NextBytes(big);
        await store.WriteAsync("big.db", (s, ct) => s.WriteAsync(big, ct).AsTask(), default);
        await store.WriteAsync("small.json", (s, ct) => s.WriteAsync("{}"u8.ToArray(), ct).AsTask(), default);
        Assert.Equal(["big.db", "small.json"], (await store.ListAsync("", default).ToListAsync()).Select(o => o.Key).Order());
        await using (var read = await store.OpenReadAsync("big.db", default))
        {
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(big, copy.ToArray());
        }
        await store.DeleteAsync("big.db", default);
        await store.DeleteAsync("small.json", default);
        Assert.Empty(await store.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task Managed_identity_takes_its_token_from_the_metadata_service_and_round_trips_on_azurite()
    {
        var imds = SharedImds.Value;
        const string clientId = "0d6c4a3e-mi-round-trip";
        using var environment = Environment((AzureCredential.AuthVariable, "managed-identity"), ("AZURE_CLIENT_ID", clientId),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.BaseUri.ToString()));

        using var store = OpenFromEnvironment($"mi-{Guid.NewGuid():N}");
        Assert.Equal(new AzureCredential.ManagedIdentity(clientId), AzureBlobStoreOptions.FromUrl(StoreUrl.Parse(Url("x"))).Credential);
        await RoundTripAsync(store);

        var tokenRequests = imds.Requests.Where(r => r.PathAndQuery.StartsWith("/metadata/identity/oauth2/token", StringComparison.Ordinal) && r.Headers.ContainsKey("Metadata")
            && r.PathAndQuery.Contains(clientId, StringComparison.Ordinal)).ToList();
        var first = Assert.Single(tokenRequests); // one token for every request: cached until it expires
        Assert.Equal("GET", first.Method);
        Assert.Equal("true", first.Headers["Metadata"]);
        // MSAL may or may not percent-encode the resource; what it names is what matters.
        Assert.Contains("resource=https://storage.azure.com", Uri.UnescapeDataString(first.PathAndQuery), StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"client_id={clientId}", first.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workload_identity_trades_the_token_file_at_the_authority_and_round_trips_on_azurite()
    {
        const string assertion = "eyJhbGciOiJSUzI1NiJ9.service-account-token.sig";
        const string clientId = "5b7f2c11-wi-round-trip";
        await using var entra = new FakeTokenServer(request => (200, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = 3600,
            ["ext_expires_in"] = 3600,
            ["access_token"] = FakeTokenServer.StorageToken(Tenant, TimeSpan.FromHours(1)),
        })), _tls);
        using var directory = TempDirectory.Create("wi");
        var tokenFile = Path.Combine(directory.Path, "azure-identity-token");
        await File.WriteAllTextAsync(tokenFile, assertion);
        // No AZURE_STORAGE_AUTH: the three variables AKS injects are enough.
        using var environment = Environment(("AZURE_TENANT_ID", Tenant), ("AZURE_CLIENT_ID", clientId), ("AZURE_FEDERATED_TOKEN_FILE", tokenFile),
            ("AZURE_AUTHORITY_HOST", entra.BaseUri.ToString()));

        Assert.Equal(new AzureCredential.WorkloadIdentity(Tenant, clientId, tokenFile, entra.BaseUri), AzureBlobStoreOptions.FromUrl(StoreUrl.Parse(Url("x"))).Credential);
        using var store = OpenFromEnvironment($"wi-{Guid.NewGuid():N}");
        await RoundTripAsync(store);

        var token = Assert.Single(entra.Requests, r => r.Method == "POST");
        Assert.Equal($"/{Tenant}/oauth2/v2.0/token", token.PathAndQuery.Split('?')[0]);
        var form = token.Body.Split('&').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1].Replace('+', ' ')));
        Assert.Equal(assertion, form["client_assertion"]);
        Assert.Equal("urn:ietf:params:oauth:client-assertion-type:jwt-bearer", form["client_assertion_type"]);
        Assert.Equal(clientId, form["client_id"]);
        Assert.Equal("client_credentials", form["grant_type"]);
        Assert.Equal("https://storage.azure.com/.default", form["scope"]);
    }

    [Fact]
    public async Task A_metadata_service_that_has_no_such_identity_is_unreachable_naming_managed_identity()
    {
        var imds = SharedImds.Value;
        using var environment = Environment((AzureCredential.AuthVariable, "managed-identity"), ("AZURE_CLIENT_ID", "no-such-identity"),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.BaseUri.ToString()));
        using var store = OpenFromEnvironment("x");
        var ex = await Assert.ThrowsAsync<DrException>(async () => await store.ListAsync("", default).ToListAsync());
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Contains("managed identity", ex.Message);
        Assert.Contains("AZURE_CLIENT_ID", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains(imds.Requests, r => r.Headers.ContainsKey("Metadata") && r.PathAndQuery.Contains("client_id=no-such-identity", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused_with_the_role_hint()
    {
        // A valid-looking token whose audience is not storage: Azurite answers 401/403 as Azure does.
        var imds = SharedImds.Value;
        using var environment = Environment((AzureCredential.AuthVariable, "managed-identity"), ("AZURE_CLIENT_ID", "wrong-audience-identity"),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds.BaseUri.ToString()));
        using var store = OpenFromEnvironment("x");
        var ex = await Assert.ThrowsAsync<DrException>(async () => await store.ListAsync("", default).ToListAsync());
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Contains("refused the credentials", ex.Message);
        Assert.Contains("Storage Blob Data Contributor", ex.Message);
    }

    [Fact]
    public void The_credential_comes_from_the_environment_keys_first_identity_only_when_asked()
    {
        using (Environment(("AZURE_STORAGE_KEY", Azurite.AccountKey), (AzureCredential.AuthVariable, "managed-identity")))
            Assert.IsType<AzureCredential.SharedKey>(AzureCredential.FromEnvironment(Azurite.Account).Credential);
        using (Environment((AzureCredential.AuthVariable, "Managed-Identity")))
            Assert.Equal(new AzureCredential.ManagedIdentity(null), AzureCredential.FromEnvironment("a").Credential);
        using (Environment((AzureCredential.AuthVariable, "msi")))
            Assert.Contains("use managed-identity or workload-identity", Assert.Throws<DrException>(() => AzureCredential.FromEnvironment("a")).Message);
        using (Environment((AzureCredential.AuthVariable, "workload-identity"), ("AZURE_CLIENT_ID", "c")))
        {
            var ex = Assert.Throws<DrException>(() => AzureCredential.FromEnvironment("a"));
            Assert.Equal(FailureKind.Usage, ex.Kind);
            Assert.Contains("needs AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE", ex.Message);
        }
        // An Azure VM with nothing configured must not quietly try the metadata service.
        using (Environment(("AZURE_CLIENT_ID", "c")))
            Assert.Contains("no Azure Storage credentials", Assert.Throws<DrException>(() => AzureCredential.FromEnvironment("a")).Message);
    }
}
