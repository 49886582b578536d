using EtcdDr.Etcd;

namespace EtcdDr.Tests.Etcd;

public class GrpcFramingTests
{
    private static async Task<ReadOnlyMemory<byte>?> Read(byte[] bytes)
    {
        using var reader = new GrpcMessageReader(new MemoryStream(bytes), "e");
        return await reader.ReadAsync(default);
    }

    [Fact]
    public async Task Frame_round_trips()
    {
        var message = new byte[] { 1, 2, 3, 4, 5 };
        var framed = GrpcFraming.Frame(message);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 5 }, framed[..5]);
        using var reader = new GrpcMessageReader(new MemoryStream([.. framed, .. framed]), "e");
        Assert.Equal(message, (await reader.ReadAsync(default))!.Value.ToArray());
        Assert.Equal(message, (await reader.ReadAsync(default))!.Value.ToArray());
        Assert.Null(await reader.ReadAsync(default));
    }

    [Fact]
    public async Task Clean_end_of_stream_is_null()
    {
        Assert.Null(await Read([]));
    }

    [Fact]
    public async Task End_inside_a_header_is_an_error()
    {
        var ex = await Assert.ThrowsAsync<GrpcException>(() => Read([0, 0, 0]));
        Assert.Contains("frame header", ex.Message);
    }

    [Fact]
    public async Task End_inside_a_body_is_unavailable()
    {
        var framed = GrpcFraming.Frame(new byte[100]);
        var ex = await Assert.ThrowsAsync<GrpcException>(() => Read(framed[..50]));
        Assert.Equal(GrpcStatusCode.Unavailable, ex.Status);
        Assert.Contains("45 of 100", ex.Message);
    }

    [Fact]
    public async Task Compressed_messages_are_refused()
    {
        var framed = GrpcFraming.Frame(new byte[3]);
        framed[0] = 1;
        var ex = await Assert.ThrowsAsync<GrpcException>(() => Read(framed));
        Assert.Contains("compressed", ex.Message);
    }

    [Fact]
    public async Task Absurd_lengths_are_refused_before_allocating()
    {
        byte[] header = [0, 0x7f, 0xff, 0xff, 0xff];
        var ex = await Assert.ThrowsAsync<GrpcException>(() => Read(header));
        // DataLoss: a corrupt length is the member's (or the wire's) fault, and fails over.
        Assert.Equal(GrpcStatusCode.DataLoss, ex.Status);
        Assert.True(ex.IsEndpointFailure);
    }

    [Theory]
    [InlineData(5000, "5000m")]
    [InlineData(0.2, "1m")]
    public void Timeout_header(double ms, string expected) =>
        Assert.Equal(expected, GrpcTimeout.Format(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void Timeout_header_switches_units_to_stay_within_eight_digits() =>
        Assert.Equal("100000S", GrpcTimeout.Format(TimeSpan.FromSeconds(100_000)));
}
