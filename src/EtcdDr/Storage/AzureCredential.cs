namespace EtcdDr.Storage;

/// <summary>How requests to Azure Blob Storage are authorized.</summary>
public abstract record AzureCredential
{
    private AzureCredential()
    {
    }

    /// <summary>The storage account key: every request is signed (HMAC-SHA256, Shared Key scheme).</summary>
    public sealed record SharedKey(string Account, byte[] Key) : AzureCredential
    {
        public override string ToString() => $"SharedKey({Account}, key hidden)";
    }

    /// <summary>A shared access signature, appended to every request's query string as is.</summary>
    public sealed record Sas(string Token) : AzureCredential
    {
        public string Query => Token.TrimStart('?');

        public override string ToString() => "Sas(token hidden)";
    }

    /// <summary>
    /// From the environment, first match wins: AZURE_STORAGE_CONNECTION_STRING (AccountKey or
    /// SharedAccessSignature, plus an optional BlobEndpoint), AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN.
    /// </summary>
    public static (AzureCredential Credential, Uri? BlobEndpoint) FromEnvironment(string account)
    {
        if (Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING") is { Length: > 0 } connection)
            return AzureConnectionString.Parse(connection, account);
        if (Environment.GetEnvironmentVariable("AZURE_STORAGE_KEY") is { Length: > 0 } key)
            return (new SharedKey(account, DecodeKey(key, "AZURE_STORAGE_KEY")), null);
        if (Environment.GetEnvironmentVariable("AZURE_STORAGE_SAS_TOKEN") is { Length: > 0 } sas)
            return (new Sas(sas), null);
        throw new DrException(
            $"no Azure Storage credentials for account '{account}': set AZURE_STORAGE_KEY (the account key), " +
            "AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_SAS_TOKEN", FailureKind.Usage);
    }

    internal static byte[] DecodeKey(string key, string source)
    {
        try
        {
            return Convert.FromBase64String(key.Trim());
        }
        catch (FormatException)
        {
            throw new DrException($"{source}: the account key is not base64 (copy it from the storage account's access keys)", FailureKind.Usage);
        }
    }
}
