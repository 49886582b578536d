using System.Net;
using Azure;
using Azure.Identity;

namespace EtcdDr.Storage;

/// <summary>Turns Blob service error responses and transport failures into operator messages.</summary>
internal static class AzureErrors
{
    // Codes the service uses when an account or a blob has hit a limit.
    private static readonly HashSet<string> LimitCodes = new(StringComparer.Ordinal)
    {
        "BlockCountExceedsLimit", "BlockListTooLong", "RequestBodyTooLarge", "AccountIsDisabled", "InsufficientAccountPermissions",
    };

    /// <summary>
    /// Runs one SDK call and turns what it throws into the store's one-line errors: the service's
    /// answers by status and error code, transport failures and failed token requests as unreachable.
    /// </summary>
    public static async Task TranslateAsync(AzureBlobStoreOptions options, string key, Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 0)
        {
            // No answer at all: connection refused, DNS, TLS, or every try timed out.
            throw Transport(options, key, ex.InnerException ?? ex);
        }
        catch (RequestFailedException ex)
        {
            var status = (HttpStatusCode)ex.Status;
            // The SDK retried 500/503 until its retries ran out before throwing.
            var attempts = status is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable ? options.RetryDelays.Count + 1 : 1;
            throw FromResponse(options, key, status, ex.ErrorCode ?? CodeOf(ex.GetRawResponse()), FirstLine(ex.Message), attempts);
        }
        catch (CredentialUnavailableException ex)
        {
            throw new DrException($"{options.Description}{key}: no {IdentityName(options)} token: {FirstLine(ex.Message)}; {IdentityHint(options)}", FailureKind.Unreachable, ex);
        }
        catch (AuthenticationFailedException ex)
        {
            throw new DrException($"{options.Description}{key}: the {IdentityName(options)} token request failed: {FirstLine(ex.Message)}; {IdentityHint(options)}", FailureKind.Unreachable, ex);
        }
    }

    /// <summary>The service's error code when the SDK did not lift it: the x-ms-error-code header,
    /// else &lt;Code&gt; in an XML body (some proxies and emulators answer without the header or content type).</summary>
    private static string? CodeOf(Response? response)
    {
        if (response is null)
            return null;
        if (response.Headers.TryGetValue("x-ms-error-code", out var header) && header.Length > 0)
            return header;
        try
        {
            var body = response.Content?.ToString();
            return body is not null && body.TrimStart().StartsWith('<') ? System.Xml.Linq.XDocument.Parse(body).Root?.Element("Code")?.Value : null;
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private static string IdentityName(AzureBlobStoreOptions options) =>
        options.Credential is AzureCredential.WorkloadIdentity ? "workload identity" : "managed identity";

    private static string IdentityHint(AzureBlobStoreOptions options) => options.Credential is AzureCredential.WorkloadIdentity
        ? "check AZURE_TENANT_ID, AZURE_CLIENT_ID, the token in AZURE_FEDERATED_TOKEN_FILE and the app's federated credential"
        : "is this an Azure VM with a managed identity (AZURE_CLIENT_ID picks a user-assigned one)?";

    /// <param name="attempts">How many times the request was sent (retries on 500/503 included).</param>
    public static DrException FromResponse(AzureBlobStoreOptions options, string key, HttpStatusCode status, string? code, string? message, int attempts = 1)
    {
        var where = options.Description + key;
        var detail = $"{code ?? "(no code)"}, HTTP {(int)status}{(string.IsNullOrEmpty(message) ? "" : ": " + message)}";
        if (status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            var hint = options.Credential switch
            {
                AzureCredential.Sas => "check AZURE_STORAGE_SAS_TOKEN: its permissions (read, write, delete, list), services (b), resource types and expiry",
                AzureCredential.SharedKey => $"check AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING: is it a current key of account '{options.Account}'?",
                _ => $"give the {IdentityName(options)} the 'Storage Blob Data Contributor' role on account '{options.Account}' or container '{options.Container}'",
            };
            return new DrException($"{where}: Azure Storage refused the credentials ({detail}); {hint}", FailureKind.Unreachable);
        }
        if (code == "ContainerNotFound")
            return new DrException($"{where}: container '{options.Container}' does not exist in account '{options.Account}'; create it first (etcd-dr never creates containers)", FailureKind.Usage);
        if (code == "BlobNotFound")
            return new DrException($"{where}: no such object", FailureKind.Usage);
        if (code == "ResourceNotFound" || status == HttpStatusCode.NotFound)
            return new DrException($"{where}: not found at {options.Endpoint} ({detail}); check the account name and endpoint", FailureKind.Usage);
        // Throttling (ServerBusy, 503) or a server-side timeout (OperationTimedOut, 500): the service is
        // busy or briefly unwell, not out of room; the same upload may well work in a minute.
        if (code is "ServerBusy" or "OperationTimedOut" || status is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable)
            return new DrException($"{where}: Azure Storage is unavailable ({detail}{(attempts > 1 ? $"; {attempts} attempts" : "")}); try again later", FailureKind.Unreachable);
        if (code is not null && LimitCodes.Contains(code))
            return new DrException($"{where}: Azure Storage refused to store more ({detail})", FailureKind.General);
        return new DrException($"{where}: Azure Storage error ({detail})", FailureKind.General);
    }

    public static DrException Transport(AzureBlobStoreOptions options, string key, Exception ex) =>
        new($"{options.Description}{key}: cannot reach Azure Storage at {options.Endpoint}: {ex.Message}", FailureKind.Unreachable, ex);
}
