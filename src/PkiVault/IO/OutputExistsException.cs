namespace PkiVault.IO;

/// <summary>The output path is taken and the caller did not ask to replace it.</summary>
public sealed class OutputExistsException(string path)
    : IOException($"{path} already exists; refusing to overwrite it")
{
    public string PathName { get; } = path;
}
