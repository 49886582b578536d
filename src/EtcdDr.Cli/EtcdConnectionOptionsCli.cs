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
    public Option<double> DialTimeout { get; } = new("--dial-timeout") { Description = "seconds to connect to one endpoint", DefaultValueFactory = _ => 5 };
    public Option<double> CommandTimeout { get; } = new("--command-timeout") { Description = "seconds for one call", DefaultValueFactory = _ => 5 };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Endpoints, CaCert, Cert, Key, SkipHostname, DialTimeout, CommandTimeout })
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
            CallTimeout: Seconds(parse.GetValue(CommandTimeout), "--command-timeout"));
    }

    private static TimeSpan Seconds(double value, string flag) =>
        value > 0 ? TimeSpan.FromSeconds(value) : throw new DrException($"{flag} must be a positive number of seconds", FailureKind.Usage);
}
