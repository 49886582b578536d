namespace EtcdDr.Etcd;

/// <summary>The grpc-timeout header: at most 8 digits and a unit (H, M, S, m, u, n).</summary>
internal static class GrpcTimeout
{
    public static string Format(TimeSpan timeout)
    {
        var ms = (long)Math.Ceiling(Math.Max(timeout.TotalMilliseconds, 1));
        if (ms < 100_000_000)
            return $"{ms}m";
        var seconds = (long)Math.Ceiling(timeout.TotalSeconds);
        return seconds < 100_000_000 ? $"{seconds}S" : $"{Math.Min((long)Math.Ceiling(timeout.TotalHours), 99_999_999)}H";
    }
}
