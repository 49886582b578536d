using PkiVault.Age;

namespace PkiVault.Tests.Age;

/// <summary>Byte-array conveniences over the streaming API, for tests only.</summary>
internal static class AgeTestKit
{
    public static byte[] Encrypt(byte[] plaintext, IReadOnlyList<IRecipient> recipients, bool armor = false)
    {
        var output = new MemoryStream();
        using (var writer = AgeWriter.Create(output, recipients, armor, leaveOpen: true))
            writer.Write(plaintext);
        return output.ToArray();
    }

    public static byte[] Decrypt(byte[] file, params IIdentity[] identities)
    {
        using var reader = AgeReader.Open(new MemoryStream(file), identities);
        var output = new MemoryStream();
        reader.CopyTo(output);
        return output.ToArray();
    }

    public static async Task<byte[]> DecryptAsync(byte[] file, params IIdentity[] identities)
    {
        var output = new MemoryStream();
        await AgeEncryptor.DecryptAsync(new MemoryStream(file), output, identities, CancellationToken.None);
        return output.ToArray();
    }

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Length of the header (through the MAC line's LF) of a binary age file.</summary>
    public static int HeaderLength(byte[] file)
    {
        var text = System.Text.Encoding.ASCII.GetString(file, 0, Math.Min(file.Length, 8192));
        var mac = text.IndexOf("\n--- ", StringComparison.Ordinal);
        return text.IndexOf('\n', mac + 1) + 1;
    }
}
