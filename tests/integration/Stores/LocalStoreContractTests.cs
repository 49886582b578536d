using EtcdDr.IntegrationTests.Infrastructure;
using EtcdDr.Storage;

namespace EtcdDr.IntegrationTests.Stores;

/// <summary>The contract on a local directory (temp name, fsync, rename).</summary>
public sealed class LocalDirStoreContractTests : StoreContractTests, IDisposable
{
    private readonly TempDirectory _directory = TempDirectory.Create("localdir-contract");

    protected override ISnapshotStore CreateStore(string prefix) => new LocalDirStore(_directory.Combine(prefix));

    public void Dispose() => _directory.Dispose();
}

/// <summary>The contract on the in-memory store the unit tests rely on, so it stays a faithful fake.</summary>
public sealed class InMemoryStoreContractTests : StoreContractTests
{
    protected override ISnapshotStore CreateStore(string prefix) => new InMemoryStore();
}
