namespace PkiVault.Age;

/// <summary>Entry points for turning recipient strings and files into <see cref="IRecipient"/>s.</summary>
public static class AgeRecipient
{
    /// <summary>Parses one recipient string. Only native X25519 (<c>age1...</c>) keys are supported.</summary>
    public static IRecipient Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith("age1", StringComparison.Ordinal) && !trimmed.StartsWith("age1pq1", StringComparison.Ordinal))
            return X25519Recipient.Parse(trimmed);
        if (trimmed.StartsWith("ssh-", StringComparison.Ordinal))
            throw new AgeException(AgeErrorKind.MalformedRecipient, "SSH public keys are not supported as recipients; use an age1... key");
        throw new AgeException(AgeErrorKind.MalformedRecipient, $"malformed recipient '{X25519Recipient.Shorten(trimmed)}': expected an 'age1...' X25519 public key");
    }

    /// <summary>Reads a recipients file: one recipient per line, blank lines and '#' comments ignored.</summary>
    public static IReadOnlyList<IRecipient> ParseFile(TextReader reader, string sourceName)
    {
        var recipients = new List<IRecipient>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                continue;
            try
            {
                recipients.Add(Parse(trimmed));
            }
            catch (AgeException ex)
            {
                throw new AgeException(AgeErrorKind.MalformedRecipient, $"{sourceName} line {lineNumber}: {ex.Message}", ex);
            }
        }
        if (recipients.Count == 0)
            throw new AgeException(AgeErrorKind.MalformedRecipient, $"{sourceName} contains no recipients");
        return recipients;
    }
}
