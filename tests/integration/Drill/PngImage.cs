using System.Buffers.Binary;
using System.IO.Compression;

namespace EtcdDr.IntegrationTests.Drill;

/// <summary>
/// Just enough of PNG to read a browser screenshot back as pixels: 8-bit RGB or RGBA, not interlaced,
/// with the five scanline filters undone. The test asks what is ON the page, not only that a file exists.
/// </summary>
public sealed class PngImage
{
    private readonly byte[] _pixels;
    private readonly int _channels;

    private PngImage(int width, int height, int channels, byte[] pixels)
    {
        Width = width;
        Height = height;
        _channels = channels;
        _pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    public (byte R, byte G, byte B) Pixel(int x, int y)
    {
        var i = (y * Width + x) * _channels;
        return (_pixels[i], _pixels[i + 1], _pixels[i + 2]);
    }

    public static PngImage Read(byte[] file)
    {
        ReadOnlySpan<byte> signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (!file.AsSpan(0, 8).SequenceEqual(signature))
            throw new InvalidDataException("not a PNG file");
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var at = 8; at < file.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            var type = System.Text.Encoding.ASCII.GetString(file, at + 4, 4);
            var data = file.AsSpan(at + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                if (data[8] != 8 || data[12] != 0)
                    throw new InvalidDataException($"only 8-bit non-interlaced PNGs are read here (depth {data[8]}, interlace {data[12]})");
                channels = data[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"colour type {data[9]} is not RGB or RGBA") };
            }
            else if (type == "IDAT")
            {
                idat.Write(data);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
            z.CopyTo(inflated);
        var raw = inflated.ToArray();
        var stride = width * channels;
        var pixels = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan(y * (stride + 1) + 1, stride);
            var output = pixels.AsSpan(y * stride, stride);
            var previous = y == 0 ? new byte[stride] : pixels.AsSpan((y - 1) * stride, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? output[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                output[i] = (byte)(line[i] + filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"unknown PNG filter {filter}"),
                });
            }
        }
        return new PngImage(width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Pixels within <paramref name="tolerance"/> per channel of the colour "#rrggbb".</summary>
    public int Count(string hex, int tolerance = 6)
    {
        var r = Convert.ToInt32(hex[1..3], 16);
        var g = Convert.ToInt32(hex[3..5], 16);
        var b = Convert.ToInt32(hex[5..7], 16);
        var n = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var p = Pixel(x, y);
                if (Math.Abs(p.R - r) <= tolerance && Math.Abs(p.G - g) <= tolerance && Math.Abs(p.B - b) <= tolerance)
                    n++;
            }
        }
        return n;
    }

    public int DistinctColours()
    {
        var seen = new HashSet<int>();
        for (var y = 0; y < Height; y++)
            for (var x = 0; x < Width; x++)
            {
                var p = Pixel(x, y);
                seen.Add(p.R << 16 | p.G << 8 | p.B);
            }
        return seen.Count;
    }
}
