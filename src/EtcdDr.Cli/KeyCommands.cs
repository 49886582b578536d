using System.CommandLine;
using PkiVault.Age;
using PkiVault.IO;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr key generate`: an age X25519 identity file, in age-keygen's format.</summary>
public static class KeyCommands
{
    public sealed record GenerateOptions(string? OutputFile);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var key = new Command("key", "Manage age keys for encrypting snapshots and PKI archives");
        var file = new Option<string?>("--output", "-o") { Description = "identity file to create (mode 0600; refuses an existing file); stdout when omitted" };
        var generate = new Command("generate", "Create a new age X25519 identity and print its public key (age1...)\n" +
            "Exit codes: 0 created; 5 the file exists");
        generate.Options.Add(file);
        generate.SetAction(Guarded.Action(error, (parse, ct) => GenerateAsync(new GenerateOptions(parse.GetValue(file)), output, TimeProvider.System, ct)));
        key.Subcommands.Add(generate);
        return key;
    }

    public static async Task<int> GenerateAsync(GenerateOptions options, TextWriter output, TimeProvider clock, CancellationToken cancellationToken)
    {
        var identity = X25519Identity.Generate();
        var text = IdentityFile.Format(identity, clock.GetUtcNow());
        if (options.OutputFile is null or "-")
        {
            await output.WriteAsync(text).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        // Never overwrite: losing an identity file loses every backup encrypted to it.
        var file = AtomicFile.Create(options.OutputFile, overwrite: false);
        await using (file.ConfigureAwait(false))
        {
            var writer = new StreamWriter(file.Stream, leaveOpen: true);
            await using (writer.ConfigureAwait(false))
                await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
            await file.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        await output.WriteLineAsync($"Public key: {identity.Recipient}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }
}
