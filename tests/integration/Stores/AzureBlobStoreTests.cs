using System.Security.Cryptography;
using Azure.Storage;
using Azure.Storage.Sas;
using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>The store contract and Azure's own failure modes against Azurite, with 4 MiB blocks.</summary>
public sealed class AzureBlobStoreTests(AzuriteFixture fixture) : StoreContractTests, IClassFixture<AzuriteFixture>, IDisposable
{
    private readonly List<AzureBlobStore> _stores = [];

    private Azurite Server => fixture.Server;

    protected override ISnapshotStore CreateStore(string prefix) => Track(new AzureBlobStore(Server.Options(AzuriteFixture.Container, prefix)));

    protected override int PartSize => 4 << 20;

    [Fact]
    public async Task A_wrong_account_key_is_refused_with_the_credentials_message()
    {
        var wrongKey = new AzureCredential.SharedKey(Azurite.Account, RandomNumberGenerator.GetBytes(64));
        var store = Track(new AzureBlobStore(Server.Options(AzuriteFixture.Container, "x", wrongKey)));
        var ex = await Assert.ThrowsAsync<DrException>(async () => await store.ListAsync("", default).ToListAsync());
        Assert.Equal(FailureKind.Unreachable, ex.Kind);
        Assert.Contains("Azure Storage refused the credentials (AuthorizationFailure", ex.Message);
        Assert.Contains("AZURE_STORAGE_KEY", ex.Message);

        var write = await Assert.ThrowsAsync<DrException>(() => store.WriteAsync("k", (s, ct) => s.WriteAsync(new byte[10], ct).AsTask(), default));
        Assert.Contains("refused the credentials", write.Message);
    }

    [Fact]
    public async Task A_missing_container_is_a_usage_error()
    {
        var store = Track(new AzureBlobStore(Server.Options("no-such-container", "x")));
        var ex = await Assert.ThrowsAsync<DrException>(async () => await store.ListAsync("", default).ToListAsync());
        Assert.Equal(FailureKind.Usage, ex.Kind);
        Assert.Contains("container 'no-such-container' does not exist", ex.Message);
    }

    [Fact]
    public async Task An_account_sas_we_sign_ourselves_works_and_an_expired_one_is_refused()
    {
        var sas = AccountSas(DateTimeOffset.UtcNow.AddHours(1));
        var store = Track(new AzureBlobStore(Server.Options(AzuriteFixture.Container, $"sas-{Guid.NewGuid():N}", new AzureCredential.Sas(sas))));
        var data = Bytes(9 << 20, 11); // three blocks: Put Block and Put Block List under SAS too
        await store.WriteAsync("s.db", (s, ct) => s.WriteAsync(data, ct).AsTask(), default);
        Assert.Equal("s.db", Assert.Single(await store.ListAsync("", default).ToListAsync()).Key);
        Assert.Equal(data, await ReadAllAsync(store, "s.db"));
        await store.DeleteAsync("s.db", default);

        var expired = Track(new AzureBlobStore(Server.Options(AzuriteFixture.Container, "x", new AzureCredential.Sas(AccountSas(DateTimeOffset.UtcNow.AddHours(-1))))));
        var ex = await Assert.ThrowsAsync<DrException>(async () => await expired.ListAsync("", default).ToListAsync());
        Assert.Contains("AZURE_STORAGE_SAS_TOKEN", ex.Message);
    }

    [Fact]
    public void Connection_strings_give_key_and_endpoint_and_refuse_another_account()
    {
        var (credential, endpoint) = AzureConnectionString.Parse(
            $"DefaultEndpointsProtocol=http;AccountName={Azurite.Account};AccountKey={Azurite.AccountKey};BlobEndpoint=http://127.0.0.1:10000/{Azurite.Account};", Azurite.Account);
        Assert.Equal(Convert.FromBase64String(Azurite.AccountKey), Assert.IsType<AzureCredential.SharedKey>(credential).Key);
        Assert.Equal($"http://127.0.0.1:10000/{Azurite.Account}", endpoint!.ToString());
        Assert.DoesNotContain(Azurite.AccountKey, credential.ToString());

        var (sas, cloud) = AzureConnectionString.Parse("SharedAccessSignature=sv=2021-08-06&sig=abc;EndpointSuffix=core.windows.net", "acct");
        Assert.Equal("sv=2021-08-06&sig=abc", Assert.IsType<AzureCredential.Sas>(sas).Query);
        Assert.Equal("https://acct.blob.core.windows.net/", cloud!.ToString());

        Assert.Contains("is for account 'other'", Assert.Throws<DrException>(() => AzureConnectionString.Parse("AccountName=other;AccountKey=AAAA", "acct")).Message);
    }

    /// <summary>An account SAS for the Blob service, made by the SDK's own builder and signed with Azurite's key.</summary>
    private static string AccountSas(DateTimeOffset expiry)
    {
        var builder = new AccountSasBuilder(AccountSasPermissions.Read | AccountSasPermissions.Write | AccountSasPermissions.Delete | AccountSasPermissions.List
            | AccountSasPermissions.Add | AccountSasPermissions.Create, expiry, AccountSasServices.Blobs, AccountSasResourceTypes.All)
        {
            Protocol = SasProtocol.HttpsAndHttp,
        };
        return builder.ToSasQueryParameters(new StorageSharedKeyCredential(Azurite.Account, Azurite.AccountKey)).ToString();
    }

    private AzureBlobStore Track(AzureBlobStore store)
    {
        _stores.Add(store);
        return store;
    }

    public void Dispose()
    {
        foreach (var store in _stores)
            store.Dispose();
    }
}
