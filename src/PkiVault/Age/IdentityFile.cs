namespace PkiVault.Age;

/// <summary>
/// Identity files as age-keygen writes them: one <c>AGE-SECRET-KEY-1...</c> per line, blank lines
/// and '#' comments ignored. Errors name the line, never its content (it is a secret).
/// </summary>
public static class IdentityFile
{
    public static IReadOnlyList<X25519Identity> Parse(TextReader reader, string sourceName)
    {
        var identities = new List<X25519Identity>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                continue;
            if (trimmed.StartsWith("AGE-PLUGIN-", StringComparison.Ordinal))
                throw new AgeException(AgeErrorKind.MalformedIdentity, $"{sourceName} line {lineNumber}: age plugin identities are not supported");
            try
            {
                identities.Add(X25519Identity.Parse(trimmed));
            }
            catch (AgeException ex)
            {
                throw new AgeException(AgeErrorKind.MalformedIdentity, $"{sourceName} line {lineNumber}: {ex.Message}", ex);
            }
        }
        if (identities.Count == 0)
            throw new AgeException(AgeErrorKind.MalformedIdentity, $"{sourceName} contains no identities");
        return identities;
    }

    public static async Task<IReadOnlyList<X25519Identity>> LoadAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(new StringReader(text), path);
    }

    /// <summary>The text age-keygen would write for a new key; the caller decides where it goes.</summary>
    public static string Format(X25519Identity identity, DateTimeOffset created) =>
        $"# created: {created.ToUniversalTime():yyyy-MM-dd'T'HH:mm:ss'Z'}\n# public key: {identity.Recipient}\n{identity}\n";
}
