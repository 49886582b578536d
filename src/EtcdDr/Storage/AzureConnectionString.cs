namespace EtcdDr.Storage;

/// <summary>
/// An Azure Storage connection string ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;
/// EndpointSuffix=core.windows.net", or with SharedAccessSignature=... and BlobEndpoint=...).
/// </summary>
internal static class AzureConnectionString
{
    public static (AzureCredential Credential, Uri? BlobEndpoint) Parse(string text, string account)
    {
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Values (keys, signatures) may contain '=': split at the first one only.
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
                throw new DrException("AZURE_STORAGE_CONNECTION_STRING: expected Name=value pairs separated by ';'", FailureKind.Usage);
            parts[item[..eq]] = item[(eq + 1)..];
        }
        if (parts.TryGetValue("AccountName", out var named) && !string.Equals(named, account, StringComparison.OrdinalIgnoreCase))
            throw new DrException($"AZURE_STORAGE_CONNECTION_STRING is for account '{named}', the URL names '{account}'", FailureKind.Usage);

        Uri? endpoint = null;
        if (parts.TryGetValue("BlobEndpoint", out var blobEndpoint) && !Uri.TryCreate(blobEndpoint, UriKind.Absolute, out endpoint))
            throw new DrException($"AZURE_STORAGE_CONNECTION_STRING: BlobEndpoint '{blobEndpoint}' is not a URL", FailureKind.Usage);
        if (endpoint is null && parts.TryGetValue("EndpointSuffix", out var suffix))
        {
            var scheme = parts.GetValueOrDefault("DefaultEndpointsProtocol", "https");
            endpoint = new Uri($"{scheme}://{account}.blob.{suffix}");
        }

        if (parts.TryGetValue("AccountKey", out var key))
            return (new AzureCredential.SharedKey(account, AzureCredential.DecodeKey(key, "AZURE_STORAGE_CONNECTION_STRING")), endpoint);
        if (parts.TryGetValue("SharedAccessSignature", out var sas))
            return (new AzureCredential.Sas(sas), endpoint);
        throw new DrException("AZURE_STORAGE_CONNECTION_STRING has neither AccountKey nor SharedAccessSignature", FailureKind.Usage);
    }
}
