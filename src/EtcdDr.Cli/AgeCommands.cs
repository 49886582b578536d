using System.CommandLine;
using PkiVault.Age;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr encrypt` and `etcd-dr decrypt`: the age v1 format, compatible with the age CLI.</summary>
public static class AgeCommands
{
    public sealed record EncryptOptions(string[] Recipients, string[] RecipientFiles, bool Passphrase, string? PassphraseFile,
        int WorkFactor, bool Armor, string? Output, bool Force, string? Input);

    public sealed record DecryptOptions(string[] IdentityFiles, bool Passphrase, string? PassphraseFile, int MaxWorkFactor,
        string? Output, bool Force, string? Input);

    public static Command CreateEncrypt(TextWriter error, CliEnvironment env)
    {
        var recipient = new Option<string[]>("--recipient", "-r") { Description = "an age1... public key to encrypt to (repeatable)", Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false };
        var recipientsFile = new Option<string[]>("--recipients-file", "-R") { Description = "file of recipients, one per line, # comments (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var passphrase = new Option<bool>("--passphrase", "-p") { Description = $"encrypt with a passphrase (from --passphrase-file, ${Passphrases.EnvironmentVariable} or the terminal)" };
        var passphraseFile = new Option<string?>("--passphrase-file") { Description = "read the passphrase from the first line of this file" };
        var workFactor = new Option<int>("--work-factor") { Description = "scrypt work factor (log2 N, 1 to 30) for passphrases", DefaultValueFactory = _ => 18 };
        var armor = new Option<bool>("--armor", "-a") { Description = "write PEM-armored text instead of binary" };
        var output = new Option<string?>("--output", "-o") { Description = "output file (written as a temporary file, renamed on success); stdout when omitted or -" };
        var force = new Option<bool>("--force") { Description = "replace an existing output file" };
        var input = new Argument<string?>("INPUT") { Description = "file to encrypt; stdin when omitted or -", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("encrypt", "Encrypt to age recipients or a passphrase; the result opens with `age -d`\n" +
            "Exit codes: 0 done; 2 bad arguments or recipient; 5 output exists");
        foreach (var o in new Option[] { recipient, recipientsFile, passphrase, passphraseFile, workFactor, armor, output, force })
            command.Options.Add(o);
        command.Arguments.Add(input);
        command.SetAction(Guarded.Action(error, (parse, ct) => EncryptAsync(new EncryptOptions(
            parse.GetValue(recipient) ?? [], parse.GetValue(recipientsFile) ?? [], parse.GetValue(passphrase), parse.GetValue(passphraseFile),
            parse.GetValue(workFactor), parse.GetValue(armor), parse.GetValue(output), parse.GetValue(force), parse.GetValue(input)), env, ct)));
        return command;
    }

    public static Command CreateDecrypt(TextWriter error, CliEnvironment env)
    {
        var identity = new Option<string[]>("--identity", "-i") { Description = "identity file (AGE-SECRET-KEY-1..., repeatable)", Arity = ArgumentArity.ZeroOrMore };
        var passphrase = new Option<bool>("--passphrase", "-p") { Description = "decrypt with a passphrase (the default when no -i is given)" };
        var passphraseFile = new Option<string?>("--passphrase-file") { Description = "read the passphrase from the first line of this file" };
        var maxWorkFactor = new Option<int>("--max-work-factor") { Description = "refuse scrypt work factors above this (log2 N, at most 30)", DefaultValueFactory = _ => 22 };
        var output = new Option<string?>("--output", "-o") { Description = "output file (written as a temporary file, renamed only after the last chunk is authenticated); stdout when omitted or -" };
        var force = new Option<bool>("--force") { Description = "replace an existing output file" };
        var input = new Argument<string?>("INPUT") { Description = "age file, binary or armored; stdin when omitted or -", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("decrypt", "Decrypt an age file (binary or armored, detected); only authenticated chunks are written\n" +
            "Exit codes: 0 done; 2 bad arguments or identity file; 3 wrong key, tampered, truncated or not an age file; 5 output exists or scrypt work factor too high");
        foreach (var o in new Option[] { identity, passphrase, passphraseFile, maxWorkFactor, output, force })
            command.Options.Add(o);
        command.Arguments.Add(input);
        command.SetAction(Guarded.Action(error, (parse, ct) => DecryptAsync(new DecryptOptions(
            parse.GetValue(identity) ?? [], parse.GetValue(passphrase), parse.GetValue(passphraseFile), parse.GetValue(maxWorkFactor),
            parse.GetValue(output), parse.GetValue(force), parse.GetValue(input)), env, ct)));
        return command;
    }

    public static async Task<int> EncryptAsync(EncryptOptions options, CliEnvironment env, CancellationToken cancellationToken)
    {
        if (AgeCliIO.IsStd(options.Output) && !options.Armor && env.IsStandardOutputTerminal())
            throw new DrException("refusing to write binary ciphertext to a terminal: use -o FILE, -a for armored text, or redirect stdout", FailureKind.Usage);
        var recipients = await AgeCliIO.RecipientsAsync(options.Recipients, options.RecipientFiles, options.Passphrase, options.PassphraseFile,
            options.WorkFactor, env, cancellationToken).ConfigureAwait(false);
        var input = await AgeCliIO.OpenInputAsync(options.Input, env, cancellationToken).ConfigureAwait(false);
        await using (input.ConfigureAwait(false))
        {
            await AgeCliIO.WriteOutputAsync(options.Output, options.Force, env, sink =>
            {
                AgeEncryptor.Encrypt(input, sink, recipients, options.Armor, cancellationToken);
                return Task.CompletedTask;
            }, cancellationToken).ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> DecryptAsync(DecryptOptions options, CliEnvironment env, CancellationToken cancellationToken)
    {
        var identities = await AgeCliIO.IdentitiesAsync(options.IdentityFiles, options.Passphrase, options.PassphraseFile,
            options.MaxWorkFactor, env, cancellationToken).ConfigureAwait(false);
        var input = await AgeCliIO.OpenInputAsync(options.Input, env, cancellationToken).ConfigureAwait(false);
        await using (input.ConfigureAwait(false))
        {
            // The header (key, MAC) is checked before the output is even created. Copying is
            // synchronous on purpose: blocking file I/O is cheaper than a thread-pool hop per chunk.
            var reader = await AgeReader.OpenAsync(input, identities, leaveOpen: true, cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await AgeCliIO.WriteOutputAsync(options.Output, options.Force, env, sink =>
                {
                    reader.CopyTo(sink);
                    return Task.CompletedTask;
                }, cancellationToken).ConfigureAwait(false);
            }
        }
        return ExitCodes.Ok;
    }
}
