using System.Text.Json;
using EtcdDr.Etcd;

namespace EtcdDr.Tests.Etcd;

/// <summary>
/// Throughput over a long link and peak RSS of `snapshot save` depend on these settings together:
/// HttpClient's dynamic HTTP/2 window (on, so one stream is not capped at window / RTT, about
/// 50 MiB/s at 20 ms with a fixed 1 MiB) starting from EtcdConnectionOptions.Http2StreamWindow.
/// Nothing else would notice a regression short of running bench/snapshot.sh.
/// </summary>
public class Http2WindowSettingsTests
{
    [Fact]
    public void Dynamic_window_sizing_is_not_switched_off_in_the_shipped_runtimeconfig()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "etcd-dr.runtimeconfig.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var properties = doc.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var p) ? p : default;
        Assert.False(properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty("System.Net.SocketsHttpHandler.Http2FlowControl.DisableDynamicWindowSizing", out var off) && off.GetBoolean());
    }

    [Fact]
    public void Stream_window_starts_at_one_mebibyte()
    {
        Assert.Equal(1024 * 1024, new EtcdConnectionOptions([new Uri("http://127.0.0.1:2379")]).Http2StreamWindow);
    }
}
