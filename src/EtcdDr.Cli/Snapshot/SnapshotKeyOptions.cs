using System.CommandLine;
using EtcdDr.Snapshots;
using PkiVault.Age;

namespace EtcdDr.Cli.Snapshot;

/// <summary>
/// Encryption flags of the snapshot verbs, named as age names them. `-i` is taken by --inventory
/// here, so identities are --identity only.
/// </summary>
public sealed class SnapshotKeyOptions
{
    public Option<string[]> Recipient { get; } = new("--recipient", "-r") { Description = "encrypt to this age1... recipient (repeatable); also from the inventory's backup.recipients", Arity = ArgumentArity.ZeroOrMore };
    public Option<string[]> RecipientsFile { get; } = new("--recipients-file", "-R") { Description = "encrypt to the recipients in this file (repeatable)", Arity = ArgumentArity.ZeroOrMore };
    // As in encrypt: the flag only says "a passphrase"; the secret itself never comes from argv.
    public Option<bool> Passphrase { get; } = new("--passphrase", "-p") { Description = $"encrypt (or decrypt) with a passphrase from ${Passphrases.EnvironmentVariable} or a terminal prompt" };
    public Option<string?> PassphraseFile { get; } = new("--passphrase-file") { Description = "encrypt (or decrypt) with the passphrase on this file's first line" };
    public Option<string[]> Identity { get; } = new("--identity") { Description = "age identity file to decrypt with (repeatable)", Arity = ArgumentArity.ZeroOrMore };

    public void AddEncrypting(Command command)
    {
        foreach (var o in new Option[] { Recipient, RecipientsFile, Passphrase, PassphraseFile })
            command.Options.Add(o);
    }

    public void AddDecrypting(Command command)
    {
        command.Options.Add(Identity);
        command.Options.Add(Passphrase);
        command.Options.Add(PassphraseFile);
    }

    /// <summary>The encryption to apply, or null for plaintext (the caller warns).</summary>
    public async Task<SnapshotEncryption?> EncryptionAsync(ParseResult parse, IEnumerable<string> configured, CliEnvironment env, CancellationToken ct)
    {
        var recipients = (parse.GetValue(Recipient) ?? []).Concat(configured).Distinct(StringComparer.Ordinal).ToArray();
        var files = parse.GetValue(RecipientsFile) ?? [];
        var passphraseFile = parse.GetValue(PassphraseFile);
        var passphrase = parse.GetValue(Passphrase);
        if (recipients.Length == 0 && files.Length == 0 && passphraseFile is null && !passphrase)
            return null;
        var parsed = await AgeCliIO.RecipientsAsync(recipients, files, passphrase, passphraseFile, workFactor: 18, env, ct).ConfigureAwait(false);
        var descriptions = recipients.Concat(files.Select(f => $"recipients file {Path.GetFileName(f)}")).ToList();
        if (passphrase || passphraseFile is not null)
            descriptions.Add("scrypt passphrase");
        return new SnapshotEncryption(parsed, descriptions);
    }

    /// <summary>A decrypting view for verify, or null when no key was given.</summary>
    public async Task<Func<Stream, Stream>?> DecryptionAsync(ParseResult parse, CliEnvironment env, CancellationToken ct)
    {
        var identities = parse.GetValue(Identity) ?? [];
        var passphraseFile = parse.GetValue(PassphraseFile);
        var passphrase = parse.GetValue(Passphrase) || passphraseFile is not null;
        if (identities.Length == 0 && !passphrase)
            return null;
        var keys = await AgeCliIO.IdentitiesAsync(identities, passphrase, passphraseFile, maxWorkFactor: 22, env, ct).ConfigureAwait(false);
        return ciphertext => AgeReader.Open(ciphertext, keys, leaveOpen: true);
    }
}
