using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;

namespace EtcdDr.Storage;

/// <summary>One fixed-size piece of an object being uploaded; its buffer is pooled, so dispose it.</summary>
internal sealed class UploadPart(byte[] buffer, int length, int number, bool isLast) : IDisposable
{
    private byte[]? _buffer = buffer;

    /// <summary>1-based, as S3 part numbers are.</summary>
    public int Number { get; } = number;

    /// <summary>True when the writer finished and nothing follows this part.</summary>
    public bool IsLast { get; } = isLast;

    public int Length { get; } = length;

    public ReadOnlyMemory<byte> Data => (_buffer ?? throw new ObjectDisposedException(nameof(UploadPart))).AsMemory(0, Length);

    /// <summary>A read-only stream over the part: SDKs want a seekable stream to sign and retry.</summary>
    public MemoryStream OpenStream() => new(_buffer ?? throw new ObjectDisposedException(nameof(UploadPart)), 0, Length, writable: false);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b)
            ArrayPool<byte>.Shared.Return(b);
    }
}

/// <summary>Hands the writer's output back as parts of <see cref="PartSize"/> bytes (the last may be shorter, or empty).</summary>
internal sealed class UploadPartSource(PipeReader reader, int partSize)
{
    private int _next = 1;
    private bool _done;

    public int PartSize => partSize;

    /// <summary>The next part, or null after the last one. Throws the writer's exception if it failed.</summary>
    public async ValueTask<UploadPart?> NextAsync(CancellationToken ct)
    {
        if (_done)
            return null;
        var result = await reader.ReadAtLeastAsync(partSize, ct).ConfigureAwait(false);
        var buffer = result.Buffer;
        var take = (int)Math.Min(buffer.Length, partSize);
        var array = ArrayPool<byte>.Shared.Rent(Math.Max(take, 1));
        buffer.Slice(0, take).CopyTo(array);
        // Last only when the writer is done AND nothing is left beyond this part.
        var last = result.IsCompleted && buffer.Length <= partSize;
        reader.AdvanceTo(buffer.GetPosition(take));
        _done = last;
        return new UploadPart(array, take, _next++, last);
    }
}

/// <summary>
/// Runs a store's writer (see <see cref="ISnapshotStore.WriteAsync"/>) into a pipe and lets the
/// backend consume its output part by part while the writer keeps producing the next one. The pipe
/// holds at most two parts, so memory stays bounded whatever the object size.
/// Errors: when the writer fails, the consumer's next read throws the writer's own exception (so
/// the consumer aborts its upload) and that exception is rethrown; when the consumer fails on its
/// own, the writer is cancelled and the consumer's exception is rethrown.
/// </summary>
internal static class PartedUpload
{
    public static async Task RunAsync(
        Func<Stream, CancellationToken, Task> writer,
        int partSize,
        Func<UploadPartSource, CancellationToken, Task> consume,
        CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(
            pauseWriterThreshold: 2L * partSize,
            resumeWriterThreshold: partSize,
            minimumSegmentSize: 64 * 1024,
            useSynchronizationContext: false));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var writing = Task.Run(async () =>
        {
            Exception? failure = null;
            try
            {
                await using var stream = pipe.Writer.AsStream(leaveOpen: true);
                await writer(stream, linked.Token).ConfigureAwait(false);
                await stream.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
                throw;
            }
            finally
            {
                // Completing with the exception makes the consumer's next read throw it.
                await pipe.Writer.CompleteAsync(failure).ConfigureAwait(false);
            }
        }, CancellationToken.None);

        Exception? consumeFailure = null;
        try
        {
            await consume(new UploadPartSource(pipe.Reader, partSize), linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            consumeFailure = ex;
            // Stop the writer: it must not keep pushing bytes nobody reads.
            await linked.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            await pipe.Reader.CompleteAsync().ConfigureAwait(false);
        }

        Exception? writeFailure = null;
        try
        {
            await writing.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            writeFailure = ex;
        }

        // A consumer that failed while reading rethrew the writer's own exception, so either way the
        // consumer's exception names the root cause; a writer failing after we cancelled it does not.
        if (consumeFailure is not null)
            ExceptionDispatchInfo.Capture(consumeFailure).Throw();
        if (writeFailure is not null)
            ExceptionDispatchInfo.Capture(writeFailure).Throw();
    }
}
