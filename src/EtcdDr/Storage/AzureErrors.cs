using System.Net;
using System.Xml.Linq;

namespace EtcdDr.Storage;

/// <summary>Turns Blob service error responses and transport failures into operator messages.</summary>
internal static class AzureErrors
{
    // Codes the service uses when an account or a blob has hit a limit.
    private static readonly HashSet<string> LimitCodes = new(StringComparer.Ordinal)
    {
        "BlockCountExceedsLimit", "BlockListTooLong", "RequestBodyTooLarge", "AccountIsDisabled", "InsufficientAccountPermissions",
    };

    /// <summary>The service's error code: the x-ms-error-code header, else &lt;Code&gt; in the XML body.</summary>
    public static async Task<(string? Code, string? Message)> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var code = response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;
        string? message = null;
        try
        {
            var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (body.TrimStart().StartsWith('<'))
            {
                var root = XDocument.Parse(body).Root;
                code ??= root?.Element("Code")?.Value;
                // The first line is the useful one; the rest is a request id and a timestamp.
                message = root?.Element("Message")?.Value.Split('\n')[0].Trim();
            }
        }
        catch (System.Xml.XmlException)
        {
            // An error without a readable body still has its status code.
        }
        return (code, message ?? response.ReasonPhrase);
    }

    /// <param name="attempts">How many times the request was sent (retries on 500/503 included).</param>
    public static DrException FromResponse(AzureBlobStoreOptions options, string key, HttpStatusCode status, string? code, string? message, int attempts = 1)
    {
        var where = options.Description + key;
        var detail = $"{code ?? "(no code)"}, HTTP {(int)status}{(string.IsNullOrEmpty(message) ? "" : ": " + message)}";
        if (status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            var hint = options.Credential is AzureCredential.Sas
                ? "check AZURE_STORAGE_SAS_TOKEN: its permissions (read, write, delete, list), services (b), resource types and expiry"
                : $"check AZURE_STORAGE_KEY or AZURE_STORAGE_CONNECTION_STRING: is it a current key of account '{options.Account}'?";
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
