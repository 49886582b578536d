using System.Security.Cryptography;
using EtcdDr.Snapshots;

namespace EtcdDr.Tests.Snapshots;

public class SnapshotDigestTests
{
    private static byte[] WithTrailer(byte[] db) => [.. db, .. SHA256.HashData(db)];

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(4096)]
    [InlineData(32 * 1024)]
    public void Valid_whatever_the_chunking(int chunk)
    {
        var file = WithTrailer(RandomNumberGenerator.GetBytes(100_000));
        using var digest = new SnapshotDigest();
        for (var i = 0; i < file.Length; i += chunk)
            digest.Append(file.AsSpan(i, Math.Min(chunk, file.Length - i)));
        var result = digest.Complete();
        Assert.True(result.Valid, result.Problem);
        Assert.Equal(Convert.ToHexStringLower(file.AsSpan(^32)), result.TrailerHex);
        Assert.Equal(file.Length, digest.BytesSeen);
        // The manifest's file SHA-256 of a plain snapshot comes from here, not a second pass.
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(file)), result.WholeSha256Hex);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50_000)]
    [InlineData(100_031)] // last byte of the trailer
    public void A_flipped_bit_anywhere_is_caught(int position)
    {
        var file = WithTrailer(RandomNumberGenerator.GetBytes(100_000));
        file[position] ^= 0x01;
        using var digest = new SnapshotDigest();
        digest.Append(file);
        var result = digest.Complete();
        Assert.False(result.Valid);
        Assert.Contains("mismatch", result.Problem);
    }

    [Fact]
    public void Truncation_is_caught()
    {
        var file = WithTrailer(RandomNumberGenerator.GetBytes(100_000));
        using var digest = new SnapshotDigest();
        digest.Append(file.AsSpan(0, file.Length - 4096));
        Assert.False(digest.Complete().Valid);
    }

    [Fact]
    public void Too_short_for_a_trailer()
    {
        using var digest = new SnapshotDigest();
        digest.Append(new byte[10]);
        var result = digest.Complete();
        Assert.False(result.Valid);
        Assert.Null(result.TrailerHex);
        Assert.Contains("too short", result.Problem);
    }

    [Fact]
    public void Empty_db_with_its_trailer_is_valid()
    {
        using var digest = new SnapshotDigest();
        digest.Append(SHA256.HashData([]));
        Assert.True(digest.Complete().Valid);
    }
}
