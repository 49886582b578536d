using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Web;

namespace EtcdDr.Storage;

/// <summary>
/// Signs a Blob service request with the account key, per Microsoft's "Authorize with Shared Key"
/// (the scheme for service version 2009-09-19 and later). The string to sign is
/// <code>
/// VERB \n Content-Encoding \n Content-Language \n Content-Length \n Content-MD5 \n Content-Type \n
/// Date \n If-Modified-Since \n If-Match \n If-None-Match \n If-Unmodified-Since \n Range \n
/// CanonicalizedHeaders CanonicalizedResource
/// </code>
/// where Content-Length is empty when zero (from version 2015-02-21), Date is empty because we send
/// x-ms-date, CanonicalizedHeaders is every x-ms-* header as "name:value\n" (names lower-cased and
/// sorted, values trimmed), and CanonicalizedResource is "/account/path" followed by
/// "\nname:value" for each query parameter (names lower-cased and sorted, values decoded, several
/// values comma-joined). The signature is base64(HMAC-SHA256(key, UTF-8 string)).
/// With the emulator's path-style URLs the path already starts with the account, so the resource
/// reads "/devstoreaccount1/devstoreaccount1/container/blob" - that is what the emulator expects.
/// </summary>
public static class AzureSharedKeySigner
{
    public static void Sign(HttpRequestMessage request, string account, byte[] key)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stringToSign = StringToSign(request, account);
        var signature = Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.Authorization = new AuthenticationHeaderValue("SharedKey", $"{account}:{signature}");
    }

    public static string StringToSign(HttpRequestMessage request, string account)
    {
        ArgumentNullException.ThrowIfNull(request);
        var content = request.Content?.Headers;
        var length = content?.ContentLength is > 0 and var n ? n.ToString(CultureInfo.InvariantCulture) : "";
        var lines = new[]
        {
            request.Method.Method.ToUpperInvariant(),
            Join(content?.ContentEncoding),
            Join(content?.ContentLanguage),
            length,
            content?.ContentMD5 is { } md5 ? Convert.ToBase64String(md5) : "",
            content?.ContentType?.ToString() ?? "",
            "", // Date: we send x-ms-date instead
            Header(request, "If-Modified-Since"),
            Header(request, "If-Match"),
            Header(request, "If-None-Match"),
            Header(request, "If-Unmodified-Since"),
            Header(request, "Range"),
        };
        return string.Join('\n', lines) + "\n" + CanonicalizedHeaders(request) + CanonicalizedResource(request.RequestUri!, account);
    }

    private static string CanonicalizedHeaders(HttpRequestMessage request)
    {
        var headers = request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .Where(h => h.Key.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            .Select(h => (Name: h.Key.ToLowerInvariant(), Value: string.Join(',', h.Value.Select(v => v.Trim()))))
            .OrderBy(h => h.Name, StringComparer.Ordinal);
        var text = new StringBuilder();
        foreach (var (name, value) in headers)
            text.Append(name).Append(':').Append(value).Append('\n');
        return text.ToString();
    }

    private static string CanonicalizedResource(Uri uri, string account)
    {
        var text = new StringBuilder().Append('/').Append(account).Append(uri.AbsolutePath);
        var query = HttpUtility.ParseQueryString(uri.Query);
        var names = query.AllKeys.Where(k => k is not null).Select(k => k!).OrderBy(k => k.ToLowerInvariant(), StringComparer.Ordinal);
        foreach (var name in names)
        {
            var values = query.GetValues(name) ?? [];
            text.Append('\n').Append(name.ToLowerInvariant()).Append(':').Append(string.Join(',', values.Order(StringComparer.Ordinal)));
        }
        return text.ToString();
    }

    private static string Join(ICollection<string>? values) => values is { Count: > 0 } ? string.Join(',', values) : "";

    private static string Header(HttpRequestMessage request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(',', values) : "";
}
