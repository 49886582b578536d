using EtcdDr.Snapshots;
using EtcdDr.Remote;
using YamlDotNet.Core;

namespace EtcdDr.Schedule;

/// <summary>
/// /etc/etcd-dr/config.yaml: what a timer on a master runs. Everything but cluster and
/// destinations has a default that fits a kubeadm or Kubespray master:
/// <code>
/// cluster: prod-eu1
/// destinations: [ "file:///var/backups/etcd-dr", "s3://backups/etcd?endpoint=https://minio:9000" ]
/// recipients: [ "age1..." ]          # encrypt (recommended: snapshots hold every Secret)
/// onlyIfLeader: true                  # a timer on every master yields one snapshot per run
/// retention: { keepLast: 3, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }
/// lock: { file: /run/etcd-dr/snapshot.lock, waitSeconds: 0 }    # 0: skip when a run is going
/// metrics: { textfile: /var/lib/node_exporter/textfile_collector/etcd_dr.prom }
/// etcd: { root: / }                   # or endpoints/cacert/cert/key to override discovery;
///                                     # user + passwordFile when etcd has authentication enabled
/// </code>
/// </summary>
public sealed record ScheduleConfig
{
    public string Cluster { get; init; } = "";
    public List<string> Destinations { get; init; } = [];
    public List<string>? Recipients { get; init; }
    public bool OnlyIfLeader { get; init; }
    public RetentionSection? Retention { get; init; }
    public LockSection Lock { get; init; } = new();
    public MetricsSection? Metrics { get; init; }
    public EtcdSection Etcd { get; init; } = new();

    public sealed record RetentionSection
    {
        public int KeepLast { get; init; }
        public int KeepHourly { get; init; }
        public int KeepDaily { get; init; }
        public int KeepWeekly { get; init; }
        public int KeepMonthly { get; init; }

        public RetentionPolicy ToPolicy() => new(KeepLast, KeepHourly, KeepDaily, KeepWeekly, KeepMonthly);
    }

    public sealed record LockSection
    {
        public string File { get; init; } = "/run/etcd-dr/snapshot.lock";
        public int WaitSeconds { get; init; }
    }

    public sealed record MetricsSection
    {
        public string? Textfile { get; init; }
    }

    public sealed record EtcdSection
    {
        /// <summary>Where the flavor's files are read from; "/" on a master.</summary>
        public string Root { get; init; } = "/";
        public List<string>? Endpoints { get; init; }
        public string? Cacert { get; init; }
        public string? Cert { get; init; }
        public string? Key { get; init; }
        /// <summary>etcd user for a cluster with authentication enabled; the password is read from
        /// <see cref="PasswordFile"/> (never written in this file), else from ETCDCTL_PASSWORD.</summary>
        public string? User { get; init; }
        public string? PasswordFile { get; init; }

        /// <summary>The configured etcd user, else ETCDCTL_USER/ETCDCTL_PASSWORD as etcdctl reads them.</summary>
        public EtcdDr.Etcd.EtcdCredentials? Credentials(Func<string, string?>? env = null)
        {
            env ??= Environment.GetEnvironmentVariable;
            string user;
            string? password = null;
            if (User is { } configured)
            {
                if (configured.Length == 0 || configured.Contains(':', StringComparison.Ordinal))
                    throw new DrException("etcd.user must be a user name alone; put the password in the file etcd.passwordFile names", FailureKind.Usage);
                user = configured;
            }
            else if (env("ETCDCTL_USER") is { Length: > 0 } fromEnv)
                (user, password) = EtcdDr.Etcd.EtcdCredentials.SplitUserSpec(fromEnv);
            else if (PasswordFile is not null)
                throw new DrException("etcd.passwordFile needs etcd.user", FailureKind.Usage);
            else
                return null;
            if (PasswordFile is { } file)
                password = EtcdDr.Etcd.EtcdCredentials.ReadPasswordFile(file);
            else if (password is null && env("ETCDCTL_PASSWORD") is { Length: > 0 } fromEnvPassword)
                password = fromEnvPassword;
            return password is null
                ? throw new DrException($"no password for etcd user '{user}': set etcd.passwordFile in the config or ETCDCTL_PASSWORD", FailureKind.Usage)
                : new EtcdDr.Etcd.EtcdCredentials(user, password);
        }
    }

    /// <summary>Field by field (see <see cref="YamlObject"/> for why); defaults as the records declare.</summary>
    private static ScheduleConfig? Read(string yaml)
    {
        if (YamlObject.Parse(yaml, "the config", "cluster", "destinations", "recipients", "onlyIfLeader", "retention", "lock", "metrics", "etcd") is not { } y)
            return null;
        var retention = y.Object("retention", "keepLast", "keepHourly", "keepDaily", "keepWeekly", "keepMonthly");
        var lockSection = y.Object("lock", "file", "waitSeconds");
        var metrics = y.Object("metrics", "textfile");
        var etcd = y.Object("etcd", "root", "endpoints", "cacert", "cert", "key", "user", "passwordFile");
        var defaults = new ScheduleConfig();
        return new ScheduleConfig
        {
            Cluster = y.String("cluster") ?? defaults.Cluster,
            Destinations = y.Strings("destinations") ?? defaults.Destinations,
            Recipients = y.Strings("recipients"),
            OnlyIfLeader = y.Bool("onlyIfLeader") ?? defaults.OnlyIfLeader,
            Retention = retention is null ? null : new RetentionSection
            {
                KeepLast = retention.Int("keepLast") ?? 0,
                KeepHourly = retention.Int("keepHourly") ?? 0,
                KeepDaily = retention.Int("keepDaily") ?? 0,
                KeepWeekly = retention.Int("keepWeekly") ?? 0,
                KeepMonthly = retention.Int("keepMonthly") ?? 0,
            },
            Lock = lockSection is null ? defaults.Lock : new LockSection
            {
                File = lockSection.String("file") ?? defaults.Lock.File,
                WaitSeconds = lockSection.Int("waitSeconds") ?? defaults.Lock.WaitSeconds,
            },
            Metrics = metrics is null ? null : new MetricsSection { Textfile = metrics.String("textfile") },
            Etcd = etcd is null ? defaults.Etcd : new EtcdSection
            {
                Root = etcd.String("root") ?? defaults.Etcd.Root,
                Endpoints = etcd.Strings("endpoints"),
                Cacert = etcd.String("cacert"),
                Cert = etcd.String("cert"),
                Key = etcd.String("key"),
                User = etcd.String("user"),
                PasswordFile = etcd.String("passwordFile"),
            },
        };
    }

    public static ScheduleConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new DrException($"config {path} does not exist", FailureKind.Usage);
        ScheduleConfig config;
        try
        {
            config = Read(File.ReadAllText(path)) ?? throw new DrException($"{path}: empty", FailureKind.Usage);
        }
        catch (YamlException ex)
        {
            throw new DrException($"{path}:{ex.Start.Line}:{ex.Start.Column}: {ex.InnerException?.Message ?? ex.Message}", FailureKind.Usage, ex);
        }
        if (string.IsNullOrWhiteSpace(config.Cluster))
            throw new DrException($"{path}: 'cluster' is missing", FailureKind.Usage);
        if (config.Destinations.Count == 0)
            throw new DrException($"{path}: 'destinations' lists nowhere to store snapshots", FailureKind.Usage);
        return config;
    }
}
