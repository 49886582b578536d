using System.Runtime.CompilerServices;
namespace EtcdDr.Snapshots;

/// <summary>
/// Writes every chunk to several targets. A target that throws is dropped with its error and the
/// others go on, so one refusing destination does not cost the rest their copy. Only when every
/// target has failed does a write throw.
/// </summary>
public sealed class FanOutStream(IReadOnlyList<ISnapshotTarget> targets) : PkiVault.IO.WriteOnlyStream
{
    private readonly Dictionary<ISnapshotTarget, Exception> _failed = [];

    public IReadOnlyDictionary<ISnapshotTarget, Exception> Failed => _failed;

    public IEnumerable<ISnapshotTarget> Live => targets.Where(t => !_failed.ContainsKey(t));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < targets.Count; i++)
        {
            var target = targets[i];
            if (_failed.ContainsKey(target))
                continue;
            try
            {
                await target.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DrException or InvalidOperationException)
            {
                _failed[target] = ex;
            }
        }
        if (_failed.Count == targets.Count)
            throw new DrException("every destination failed: " + string.Join("; ", _failed.Select(f => $"{f.Key.Location}: {Failures.Describe(f.Value)}")), FailureKind.General);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var target in Live.ToList())
        {
            try
            {
                await target.Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or DrException)
            {
                _failed[target] = ex;
            }
        }
    }

    public override void Flush() => FlushAsync(default).GetAwaiter().GetResult();
}
