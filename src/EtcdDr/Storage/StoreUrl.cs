using System.Web;

namespace EtcdDr.Storage;

/// <summary>
/// A destination as written on the command line or in the config. Credentials never appear in it:
/// each backend reads its own from the environment or its usual config file.
/// <list type="bullet">
/// <item><c>file:///var/backups/etcd</c> (or a plain absolute path)</item>
/// <item><c>ssh://[user@]host[:port]/path</c></item>
/// <item><c>s3://bucket/prefix?endpoint=https://minio:9000&amp;region=us-east-1</c></item>
/// <item><c>azblob://account/container/prefix[?endpoint=http://127.0.0.1:10000/account]</c></item>
/// </list>
/// </summary>
public sealed record StoreUrl(string Scheme, string Host, string Path, string? User, int? Port, IReadOnlyDictionary<string, string> Query, string Original)
{
    public static StoreUrl Parse(string text)
    {
        if (text.StartsWith('/'))
            text = "file://" + text;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri))
            throw new DrException($"'{text}' is not a destination URL (file:///dir, ssh://host/dir, s3://bucket/prefix, azblob://account/container)", FailureKind.Usage);
        if (!string.IsNullOrEmpty(uri.UserInfo) && uri.UserInfo.Contains(':', StringComparison.Ordinal))
            throw new DrException($"'{uri.Scheme}://…@{uri.Host}': put credentials in the environment or the backend's config file, never in the URL", FailureKind.Usage);
        var query = HttpUtility.ParseQueryString(uri.Query);
        var parameters = query.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => query[k]!, StringComparer.OrdinalIgnoreCase);
        var scheme = uri.Scheme.ToLowerInvariant();
        if (scheme is not ("file" or "ssh" or "s3" or "azblob"))
            throw new DrException($"unknown destination scheme '{uri.Scheme}'; use file, ssh, s3 or azblob", FailureKind.Usage);
        // file://otherhost/path names a file on another machine (RFC 8089); writing it here instead
        // would put the backup somewhere the operator did not ask for.
        if (scheme == "file" && (uri.Host is not ("" or "localhost") || !string.IsNullOrEmpty(uri.UserInfo) || !uri.IsDefaultPort && uri.Port > 0))
            throw new DrException($"'{text}': a file URL names a directory on this machine (file:///dir or file://localhost/dir); for another host use ssh://{uri.Host}/dir", FailureKind.Usage);
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (scheme is "s3" or "azblob" && string.IsNullOrEmpty(uri.Host))
            throw new DrException($"'{text}': no {(scheme == "s3" ? "bucket" : "account")} name", FailureKind.Usage);
        if (scheme == "azblob" && path.Trim('/').Length == 0)
            throw new DrException($"'{text}': no container (azblob://account/container[/prefix])", FailureKind.Usage);
        return new StoreUrl(scheme, uri.Host, path, string.IsNullOrEmpty(uri.UserInfo) ? null : uri.UserInfo, uri.IsDefaultPort ? null : uri.Port, parameters,
            Redact(text));
    }

    private static string Redact(string text)
    {
        var q = text.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? text : text[..q] + "?…";
    }
}
