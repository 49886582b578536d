using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace EtcdDr.Diagnostics;

/// <summary>
/// ETCD_DR_DEBUG=alloc: the runtime's own allocation sampling (one event per ~100 KiB allocated,
/// naming the type that crossed the mark), summed per type and printed at exit. Enough to tell
/// which code allocates on a hot path without a profiler, which these machines do not have.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new();
    private volatile bool _on;

    public AllocationSampler() => _on = true;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_on || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
            return;
        var type = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytes.AddOrUpdate(type, amount, (_, v) => v + amount);
    }

    public override void Dispose()
    {
        _on = false;
        foreach (var (type, bytes) in _bytes.OrderByDescending(p => p.Value).Take(25))
            Console.Error.WriteLine($"[alloc] {bytes / 1048576.0,8:0.0} MiB  {type}");
        base.Dispose();
    }
}
