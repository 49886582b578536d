using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace PkiVault.Age;

/// <summary>The small primitives the format composes: HKDF-SHA-256, key wrapping, header MAC.</summary>
internal static class AgeCrypto
{
    private static readonly byte[] ZeroNonce = new byte[12];

    public static byte[] Hkdf(byte[] ikm, byte[] salt, string info)
    {
        var generator = new HkdfBytesGenerator(new Sha256Digest());
        generator.Init(new HkdfParameters(ikm, salt, Encoding.ASCII.GetBytes(info)));
        var output = new byte[32];
        generator.GenerateBytes(output, 0, output.Length);
        return output;
    }

    /// <summary>Encrypts the file key under a one-time wrap key; the zero nonce is safe because the key is never reused.</summary>
    public static byte[] WrapFileKey(byte[] wrapKey, ReadOnlySpan<byte> fileKey)
    {
        using var aead = CreateAead(wrapKey);
        var body = new byte[fileKey.Length + AgeFormat.TagSize];
        aead.Encrypt(ZeroNonce, fileKey, body.AsSpan(0, fileKey.Length), body.AsSpan(fileKey.Length));
        return body;
    }

    /// <summary>Returns the file key, or null when the wrap key is not the right one.</summary>
    public static byte[]? UnwrapFileKey(byte[] wrapKey, byte[] body)
    {
        using var aead = CreateAead(wrapKey);
        var fileKey = new byte[AgeFormat.FileKeySize];
        try
        {
            aead.Decrypt(ZeroNonce, body.AsSpan(0, AgeFormat.FileKeySize), body.AsSpan(AgeFormat.FileKeySize), fileKey);
            return fileKey;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public static byte[] HeaderMac(byte[] fileKey, ReadOnlySpan<byte> headerUpToDashes)
    {
        var key = Hkdf(fileKey, [], "header");
        return HMACSHA256.HashData(key, headerUpToDashes);
    }

    public static ChaCha20Poly1305 CreateAead(byte[] key)
    {
        if (!ChaCha20Poly1305.IsSupported)
            throw new PlatformNotSupportedException("ChaCha20-Poly1305 is not available on this platform (needs OpenSSL 1.1 or newer)");
        return new ChaCha20Poly1305(key);
    }
}
