using System.CommandLine;
using EtcdDr.Etcd;

namespace EtcdDr.Cli;

/// <summary>
/// The etcd connection flags shared by every verb that talks to etcd. Each falls back to the
/// ETCDCTL_* variable of the same meaning, so an operator's etcdctl environment just works.
/// </summary>
public sealed class EtcdConnectionOptionsCli
{
    public Option<string[]> Endpoints { get; } = new("--endpoints")
    {
        Description = "etcd client URLs, comma-separated or repeated (env ETCDCTL_ENDPOINTS; default 127.0.0.1:2379)",
        AllowMultipleArgumentsPerToken = true,
    };
    public Option<string?> CaCert { get; } = new("--cacert") { Description = "CA bundle that signs etcd's server certificates (env ETCDCTL_CACERT)" };
    public Option<string?> Cert { get; } = new("--cert") { Description = "client certificate (env ETCDCTL_CERT)" };
    public Option<string?> Key { get; } = new("--key") { Description = "client key (env ETCDCTL_KEY)" };
    public Option<bool> SkipHostname { get; } = new("--insecure-skip-tls-hostname") { Description = "accept a server certificate that does not name the endpoint (the CA chain is still checked)" };
    public Option<string?> User { get; } = new("--user") { Description = "etcd user, for a cluster with authentication enabled (env ETCDCTL_USER, which may be user:password as for etcdctl); the password comes from --password-file or ETCDCTL_PASSWORD, never from argv" };
    public Option<string?> PasswordFile { get; } = new("--password-file") { Description = "file holding the etcd user's password (one line; env ETCDCTL_PASSWORD holds it instead)" };
    public Option<double> DialTimeout { get; } = new("--dial-timeout") { Description = "seconds to connect to one endpoint", DefaultValueFactory = _ => 5 };
    public Option<double> CommandTimeout { get; } = new("--command-timeout") { Description = "seconds for one call", DefaultValueFactory = _ => 5 };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Endpoints, CaCert, Cert, Key, SkipHostname, User, PasswordFile, DialTimeout, CommandTimeout })
            command.Options.Add(option);
    }

    public EtcdConnectionOptions Read(ParseResult parse, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var ca = parse.GetValue(CaCert) ?? env("ETCDCTL_CACERT");
        var cert = parse.GetValue(Cert) ?? env("ETCDCTL_CERT");
        var key = parse.GetValue(Key) ?? env("ETCDCTL_KEY");
        var raw = parse.GetValue(Endpoints) is { Length: > 0 } given ? given
            : env("ETCDCTL_ENDPOINTS") is { Length: > 0 } fromEnv ? [fromEnv]
            : ["127.0.0.1:2379"];
        // A lone --key counts too, so that it is refused as half a pair instead of silently ignored.
        var tls = ca is not null || cert is not null || key is not null;
        return new EtcdConnectionOptions(
            EtcdConnectionOptions.ParseEndpoints(raw, tls),
            tls ? EtcdTls.FromFiles(ca, cert, key, parse.GetValue(SkipHostname)) : null,
            DialTimeout: Seconds(parse.GetValue(DialTimeout), "--dial-timeout"),
            CallTimeout: Seconds(parse.GetValue(CommandTimeout), "--command-timeout"),
            Credentials: ReadCredentials(parse, env));
    }

    /// <summary>Options found another way (an inventory's discovery) with this command line's etcd user.</summary>
    public EtcdConnectionOptions WithCredentials(EtcdConnectionOptions found, ParseResult parse) =>
        found.Credentials is not null ? found : found with { Credentials = ReadCredentials(parse) };

    /// <summary>
    /// The etcd user and password, as etcdctl takes them, except that a password is never read from
    /// argv (any local user sees it in ps): `--user name:password` is refused. ETCDCTL_USER may be
    /// "name:password", as etcdctl allows, since the environment is not world-readable.
    /// </summary>
    public EtcdCredentials? ReadCredentials(ParseResult parse, Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        var passwordFile = parse.GetValue(PasswordFile);
        string? user;
        string? password = null;
        if (parse.GetValue(User) is { } given)
        {
            if (given.Contains(':', StringComparison.Ordinal))
                throw new DrException("--user takes only the user name: a password on the command line is visible to every local user (ps); put it in a file for --password-file, or in ETCDCTL_PASSWORD", FailureKind.Usage);
            user = given;
        }
        else if (env("ETCDCTL_USER") is { Length: > 0 } fromEnv)
        {
            (user, password) = EtcdCredentials.SplitUserSpec(fromEnv);
        }
        else
        {
            if (passwordFile is not null)
                throw new DrException("--password-file needs --user NAME (or ETCDCTL_USER)", FailureKind.Usage);
            return null;
        }
        if (user.Length == 0)
            throw new DrException("the etcd user name is empty; give --user NAME", FailureKind.Usage);
        if (passwordFile is not null)
            password = EtcdCredentials.ReadPasswordFile(passwordFile);
        else if (password is null && env("ETCDCTL_PASSWORD") is { Length: > 0 } fromEnvPassword)
            password = fromEnvPassword;
        if (password is null)
            throw new DrException($"no password for etcd user '{user}': give --password-file FILE or set ETCDCTL_PASSWORD", FailureKind.Usage);
        return new EtcdCredentials(user, password);
    }

    private static TimeSpan Seconds(double value, string flag) =>
        value > 0 ? TimeSpan.FromSeconds(value) : throw new DrException($"{flag} must be a positive number of seconds", FailureKind.Usage);
}
