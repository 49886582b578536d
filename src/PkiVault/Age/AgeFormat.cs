namespace PkiVault.Age;

/// <summary>Sizes and labels fixed by the age v1 specification.</summary>
internal static class AgeFormat
{
    public const string VersionLine = "age-encryption.org/v1";
    public const string VersionPrefix = "age-encryption.org/";
    public const int FileKeySize = 16;
    public const int PayloadNonceSize = 16;
    public const int ChunkSize = 64 * 1024;
    public const int TagSize = 16;
    public const int CipherChunkSize = ChunkSize + TagSize;
    public const int StanzaBodyColumns = 64;
    public const int MacSize = 32;

    /// <summary>A header beyond this is not something we wrote or anyone sane would; refuse to buffer it.</summary>
    public const int MaxHeaderBytes = 1024 * 1024;
    public const int MaxHeaderLine = 16 * 1024;
}
