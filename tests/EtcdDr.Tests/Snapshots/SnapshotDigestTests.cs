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

/// <summary>Issue 10: two digests that share their first 8 bytes must not print as the same text twice.</summary>
public class TrailerMismatchMessageTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(20)]
    [InlineData(31)]
    public void The_message_says_where_the_digests_differ_and_shows_different_text(int differingByte)
    {
        var actual = RandomNumberGenerator.GetBytes(32);
        var expected = actual.ToArray();
        expected[differingByte] ^= 0x80;

        var message = SnapshotDigest.MismatchMessage(actual, expected);

        Assert.Contains($"first differ at byte {differingByte} of 32", message);
        Assert.Contains(Convert.ToHexStringLower(actual.AsSpan(differingByte, 1)), message);
        Assert.Contains(Convert.ToHexStringLower(expected.AsSpan(differingByte, 1)), message);
        var shown = System.Text.RegularExpressions.Regex.Matches(message, "(?:hashes to|says) (\\S+?)[,;]").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, shown.Count);
        Assert.NotEqual(shown[0], shown[1]);
    }

    [Fact]
    public void A_stream_whose_trailer_differs_late_reports_the_late_byte()
    {
        var db = RandomNumberGenerator.GetBytes(1000);
        var trailer = SHA256.HashData(db);
        trailer[25] ^= 1;
        using var digest = new SnapshotDigest();
        digest.Append([.. db, .. trailer]);

        var result = digest.Complete();

        Assert.False(result.Valid);
        Assert.Contains("first differ at byte 25", result.Problem);
    }
}
