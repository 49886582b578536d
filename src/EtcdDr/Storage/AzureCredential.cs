using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

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
    /// The managed identity of the Azure VM (or scale set) this runs on: a token from the instance
    /// metadata service, no secret on the machine. <paramref name="ClientId"/> picks a user-assigned
    /// identity; null is the system-assigned one.
    /// </summary>
    public sealed record ManagedIdentity(string? ClientId) : AzureCredential;

    /// <summary>
    /// Workload identity federation (AKS, or any OIDC issuer Entra trusts): the service-account token
    /// in <paramref name="TokenFile"/> is exchanged for an Entra token of the app <paramref name="ClientId"/>.
    /// </summary>
    public sealed record WorkloadIdentity(string TenantId, string ClientId, string TokenFile, Uri? AuthorityHost) : AzureCredential;

    /// <summary>Environment variable that selects an identity credential: managed-identity or workload-identity.</summary>
    public const string AuthVariable = "AZURE_STORAGE_AUTH";

    /// <summary>
    /// From the environment, first match wins: AZURE_STORAGE_CONNECTION_STRING (AccountKey or
    /// SharedAccessSignature, plus an optional BlobEndpoint), AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN,
    /// AZURE_STORAGE_AUTH=managed-identity|workload-identity, and workload identity when the variables
    /// AKS injects (AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID, AZURE_TENANT_ID) are all present.
    /// Managed identity is never chosen by itself: off Azure, the metadata service does not exist and a
    /// missing credential must fail at once with a message, not after a token request times out.
    /// </summary>
    public static (AzureCredential Credential, Uri? BlobEndpoint) FromEnvironment(string account)
    {
        if (Variable("AZURE_STORAGE_CONNECTION_STRING") is { } connection)
            return AzureConnectionString.Parse(connection, account);
        if (Variable("AZURE_STORAGE_KEY") is { } key)
            return (new SharedKey(account, DecodeKey(key, "AZURE_STORAGE_KEY")), null);
        if (Variable("AZURE_STORAGE_SAS_TOKEN") is { } sas)
            return (new Sas(sas), null);
        switch (Variable(AuthVariable)?.ToLowerInvariant())
        {
            case "managed-identity":
                return (new ManagedIdentity(Variable("AZURE_CLIENT_ID")), null);
            case "workload-identity":
                return (WorkloadIdentityFromEnvironment(), null);
            case { } other:
                throw new DrException($"{AuthVariable}='{other}': use managed-identity or workload-identity (or unset it and set AZURE_STORAGE_KEY, AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_SAS_TOKEN)", FailureKind.Usage);
        }
        if (Variable("AZURE_FEDERATED_TOKEN_FILE") is not null && Variable("AZURE_CLIENT_ID") is not null && Variable("AZURE_TENANT_ID") is not null)
            return (WorkloadIdentityFromEnvironment(), null);
        throw new DrException(
            $"no Azure Storage credentials for account '{account}': set AZURE_STORAGE_KEY (the account key), " +
            $"AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_SAS_TOKEN, or {AuthVariable}=managed-identity on an Azure VM", FailureKind.Usage);
    }

    private static WorkloadIdentity WorkloadIdentityFromEnvironment()
    {
        var missing = new[] { "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE" }.Where(n => Variable(n) is null).ToList();
        if (missing.Count > 0)
            throw new DrException($"{AuthVariable}=workload-identity needs {string.Join(", ", missing)} (AKS sets them for a pod whose service account is federated)", FailureKind.Usage);
        Uri? authority = null;
        if (Variable("AZURE_AUTHORITY_HOST") is { } host && (!Uri.TryCreate(host, UriKind.Absolute, out authority) || authority.Scheme != "https"))
            throw new DrException($"AZURE_AUTHORITY_HOST '{host}' is not an https URL", FailureKind.Usage);
        return new WorkloadIdentity(Variable("AZURE_TENANT_ID")!, Variable("AZURE_CLIENT_ID")!, Variable("AZURE_FEDERATED_TOKEN_FILE")!, authority);
    }

    /// <summary>The Azure.Identity credential for the identity kinds; token requests go through
    /// <paramref name="transport"/> when given (tests), else the SDK's own.</summary>
    internal TokenCredential ToTokenCredential(HttpPipelineTransport? transport)
    {
        switch (this)
        {
            case ManagedIdentity managed:
                var managedOptions = new ManagedIdentityCredentialOptions(managed.ClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(managed.ClientId));
                if (transport is not null)
                    managedOptions.Transport = transport;
                return new ManagedIdentityCredential(managedOptions);
            case WorkloadIdentity workload:
                var workloadOptions = new WorkloadIdentityCredentialOptions
                {
                    TenantId = workload.TenantId,
                    ClientId = workload.ClientId,
                    TokenFilePath = workload.TokenFile,
                };
                if (workload.AuthorityHost is not null)
                {
                    workloadOptions.AuthorityHost = workload.AuthorityHost;
                    // Instance discovery asks the public cloud about the authority; an operator who
                    // names the authority host (a sovereign cloud, Azure Stack) means that one.
                    workloadOptions.DisableInstanceDiscovery = true;
                }
                if (transport is not null)
                    workloadOptions.Transport = transport;
                return new WorkloadIdentityCredential(workloadOptions);
            default:
                throw new InvalidOperationException($"{GetType().Name} is not a token credential");
        }
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

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
