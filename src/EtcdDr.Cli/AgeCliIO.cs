using PkiVault.Age;
using PkiVault.IO;

namespace EtcdDr.Cli;

/// <summary>Input, output and key handling shared by encrypt, decrypt and the pki verbs.</summary>
internal static class AgeCliIO
{
    // Unbuffered: the age code reads and writes whole 64 KiB chunks, and a FileStream buffer would
    // only add a copy of every byte.
    private const int FileBuffer = 0;

    /// <summary>
    /// scrypt's N is 1 &lt;&lt; factor in an int, so anything above 30 overflows; 30 is already 1 TiB of
    /// memory. Checked before any passphrase prompt, so a typo does not cost the operator a prompt.
    /// </summary>
    public const int WorkFactorLimit = 30;

    public static bool IsStd(string? path) => path is null or "-";

    private static void CheckWorkFactor(string option, int value)
    {
        if (value is < 1 or > WorkFactorLimit)
            throw new DrException($"{option} {value}: the scrypt work factor (log2 N) must be between 1 and {WorkFactorLimit}", FailureKind.Usage);
    }

    public static Stream OpenInput(string? path, CliEnvironment env) =>
        IsStd(path) ? env.OpenStandardInput() : new FileStream(path!, FileMode.Open, FileAccess.Read, FileShare.Read, FileBuffer, FileOptions.SequentialScan);

    /// <summary>
    /// encrypt/decrypt read their input once, front to back, so a FIFO or a process substitution
    /// works as with age; its open waits for the writer in a way Ctrl-C ends (a blocking open of a
    /// FIFO with no writer could not be interrupted).
    /// </summary>
    public static async Task<Stream> OpenInputAsync(string? path, CliEnvironment env, CancellationToken ct) =>
        IsStd(path) ? env.OpenStandardInput() : await EtcdDr.Snapshots.InputFile.OpenSequentialAsync(path!, FileBuffer, ct).ConfigureAwait(false);

    /// <summary>
    /// Runs <paramref name="write"/> against stdout or an atomic temporary file renamed into place on
    /// success; on any failure the temporary file is deleted and the output path is untouched.
    /// </summary>
    public static async Task WriteOutputAsync(string? path, bool force, CliEnvironment env, Func<Stream, Task> write, CancellationToken cancellationToken)
    {
        if (IsStd(path))
        {
            var stdout = env.OpenStandardOutput();
            await using (stdout.ConfigureAwait(false))
            {
                // The cipher works on the next chunk while a second thread writes the last one.
                using var sink = new BackgroundWriteStream(stdout);
                await write(sink).ConfigureAwait(false);
                sink.Flush();
            }
            return;
        }
        var file = AtomicFile.Create(path!, force, bufferSize: FileBuffer);
        await using (file.ConfigureAwait(false))
        {
            using (var sink = new BackgroundWriteStream(file.Stream))
            {
                await write(sink).ConfigureAwait(false);
                sink.Flush(); // everything is in the temporary file before it is committed
            }
            await file.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task<IReadOnlyList<IRecipient>> RecipientsAsync(string[] recipients, string[] recipientFiles, bool passphrase, string? passphraseFile, int workFactor, CliEnvironment env, CancellationToken cancellationToken)
    {
        CheckWorkFactor("--work-factor", workFactor);
        var list = new List<IRecipient>();
        foreach (var r in recipients)
            list.Add(AgeRecipient.Parse(r));
        foreach (var file in recipientFiles)
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            list.AddRange(AgeRecipient.ParseFile(new StringReader(text), file));
        }
        var wantsPassphrase = passphrase || passphraseFile is not null;
        if (wantsPassphrase && list.Count > 0)
            throw new DrException("a passphrase cannot be combined with -r/-R recipients (age does not allow mixing them)", FailureKind.Usage);
        if (wantsPassphrase)
            list.Add(new ScryptRecipient(await Passphrases.ResolveAsync(passphraseFile, env, confirm: true, cancellationToken).ConfigureAwait(false), workFactor));
        if (list.Count == 0)
            throw new DrException("no recipient: give -r age1..., -R FILE, or -p/--passphrase-file", FailureKind.Usage);
        return list;
    }

    public static async Task<IReadOnlyList<IIdentity>> IdentitiesAsync(string[] identityFiles, bool passphrase, string? passphraseFile, int maxWorkFactor, CliEnvironment env, CancellationToken cancellationToken)
    {
        CheckWorkFactor("--max-work-factor", maxWorkFactor);
        var list = new List<IIdentity>();
        foreach (var file in identityFiles)
        {
            var text = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            list.AddRange(IdentityFile.Parse(new StringReader(text), file));
        }
        // Without identity files, decrypting means a passphrase (as age does when it sees scrypt).
        if (passphrase || passphraseFile is not null || list.Count == 0)
            list.Add(new ScryptIdentity(await Passphrases.ResolveAsync(passphraseFile, env, confirm: false, cancellationToken).ConfigureAwait(false), maxWorkFactor));
        return list;
    }
}
