using System.Globalization;

namespace EtcdDr.Diagnostics;

/// <summary>
/// ETCD_DR_DEBUG=memory prints the GC's view every 250 ms and at exit, to stderr. Peak RSS is a
/// stated target (docs/benchmarks.md) and dotnet-counters is not installed on these machines, so
/// this is how a growth is told apart: managed heap, GC budget, or something outside the GC.
/// </summary>
internal sealed class MemoryTrace : IDisposable
{
    private readonly Timer _timer;
    private readonly long _start = Environment.TickCount64;

    private readonly AllocationSampler? _sampler;

    private MemoryTrace(bool ticks, bool allocations)
    {
        _timer = new Timer(_ => Write("tick"), null, ticks ? 250 : Timeout.Infinite, 250);
        _sampler = allocations ? new AllocationSampler() : null;
    }

    public static MemoryTrace? StartIfAsked()
    {
        var asked = (Environment.GetEnvironmentVariable("ETCD_DR_DEBUG") ?? "").Split(',');
        bool ticks = asked.Contains("memory"), allocations = asked.Contains("alloc");
        return ticks || allocations ? new MemoryTrace(ticks, allocations) : null;
    }

    private void Write(string what)
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        static string M(long b) => (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[memory] {what} t={Environment.TickCount64 - _start}ms rss={M(self.WorkingSet64)} heap={M(GC.GetTotalMemory(false))} " +
            $"committed={M(info.TotalCommittedBytes)} allocated={M(GC.GetTotalAllocatedBytes())} " +
            $"gc0/1/2={GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} " +
            $"gen0size(before last gc)={M(info.GenerationInfo[0].SizeBeforeBytes)} frag={M(info.FragmentedBytes)}"));
    }

    public void Dispose()
    {
        _timer.Dispose();
        _sampler?.Dispose();
        Write("exit");
    }
}
