namespace EtcdDr.Etcd;

/// <summary>
/// An etcd user (etcd's own RBAC, `etcdctl auth enable`) and its password. The password comes
/// from a file or the environment, never from argv, and never appears in ToString, logs or errors.
/// </summary>
public sealed record EtcdCredentials(string User, string Password)
{
    public override string ToString() => $"EtcdCredentials {{ User = {User}, Password = *** }}";

    /// <summary>etcdctl's ETCDCTL_USER/--user form: "name" or "name:password", split at the first ':'.</summary>
    public static (string User, string? Password) SplitUserSpec(string spec)
    {
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (spec, null) : (spec[..colon], spec[(colon + 1)..]);
    }

    /// <summary>
    /// A password file's content: one line; the line end (LF or CRLF) that editors and
    /// `echo pw > file` add is not part of the password.
    /// </summary>
    public static string ReadPasswordFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DrException($"cannot read the etcd password file {path}: {ex.Message}", FailureKind.Usage, ex);
        }
        if (text.EndsWith("\r\n", StringComparison.Ordinal))
            text = text[..^2];
        else if (text.EndsWith('\n'))
            text = text[..^1];
        if (text.Length == 0)
            throw new DrException($"the etcd password file {path} is empty", FailureKind.Usage);
        return text;
    }
}
