namespace EtcdDr.IntegrationTests.Stores;

/// <summary>
/// Test classes that set store credentials in the process environment (as the CLI reads them in
/// production). One collection, so they run one after the other and never see each other's values.
/// </summary>
[CollectionDefinition(Name)]
public sealed class StoreEnvironmentCollection
{
    public const string Name = "store credentials in the environment";
}

/// <summary>Sets environment variables for the CLI and puts the old values back.</summary>
public sealed class EnvironmentScope : IDisposable
{
    private readonly Dictionary<string, string?> _previous = [];

    public EnvironmentScope(IReadOnlyDictionary<string, string?> values)
    {
        foreach (var (name, value) in values)
        {
            _previous[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _previous)
            Environment.SetEnvironmentVariable(name, value);
    }
}
