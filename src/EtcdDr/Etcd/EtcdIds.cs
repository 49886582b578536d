using System.Globalization;

namespace EtcdDr.Etcd;

/// <summary>Cluster and member ids as etcdctl prints them: lower-case hex without padding.</summary>
public static class EtcdIds
{
    public static string Format(ulong id) => id.ToString("x", CultureInfo.InvariantCulture);

    public static ulong Parse(string hex) =>
        ulong.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) ? id
            : throw new DrException($"'{hex}' is not a member id (hex, as etcdctl prints it)", FailureKind.Usage);
}
