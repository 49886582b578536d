using System.Text.Json;
using EtcdDr.Etcd;

namespace EtcdDr.Tests.Etcd;

/// <summary>
/// Peak RSS of `snapshot save` depends on these two settings together (EtcdDr.csproj and
/// EtcdConnectionOptions): a grown or dynamic window lets HttpClient buffer more 16 KiB blocks than
/// the ArrayPool keeps, and memory grows with the db again. Nothing else would notice a regression
/// short of running bench/snapshot.sh.
/// </summary>
public class Http2WindowSettingsTests
{
    [Fact]
    public void Dynamic_window_sizing_is_off_in_the_shipped_runtimeconfig()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "etcd-dr.runtimeconfig.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var setting = doc.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties")
            .GetProperty("System.Net.SocketsHttpHandler.Http2FlowControl.DisableDynamicWindowSizing");
        Assert.True(setting.GetBoolean());
    }

    [Fact]
    public void Stream_window_fits_the_array_pool()
    {
        Assert.Equal(1024 * 1024, new EtcdConnectionOptions([new Uri("http://127.0.0.1:2379")]).Http2StreamWindow);
    }
}
