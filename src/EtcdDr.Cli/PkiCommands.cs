using System.CommandLine;
using EtcdDr.Remote;
using PkiVault.Archive;

namespace EtcdDr.Cli;

/// <summary>`etcd-dr pki backup|restore|verify|inspect`: encrypted archives of the control-plane PKI.</summary>
public static class PkiCommands
{
    public sealed record KeyOptions(string[] Recipients, string[] RecipientFiles, string[] IdentityFiles, bool Passphrase,
        string? PassphraseFile, int WorkFactor, int MaxWorkFactor);

    public sealed record BackupOptions(PkiFlavor Flavor, string Root, string? OutputFile, bool Force, bool Armor, KeyOptions Keys,
        IReadOnlyList<string>? To = null, string? Cluster = null);

    public sealed record RestoreOptions(string Archive, string To, KeyOptions Keys);

    public sealed record VerifyOptions(string? Root, PkiFlavor Flavor, string? Archive, int WarnDays, KeyOptions Keys, OutputFormat Format);

    public sealed record InspectOptions(string Archive, KeyOptions Keys, OutputFormat Format);

    /// <summary>The key options every pki verb shares; each verb adds the ones it needs.</summary>
    private sealed class KeyOptionSet
    {
        public Option<string[]> Recipient { get; } = new("--recipient", "-r") { Description = "age1... recipient (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        public Option<string[]> RecipientsFile { get; } = new("--recipients-file", "-R") { Description = "file of recipients (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        public Option<string[]> Identity { get; } = new("--identity", "-i") { Description = "age identity file (repeatable)", Arity = ArgumentArity.ZeroOrMore };
        public Option<bool> Passphrase { get; } = new("--passphrase", "-p") { Description = $"use a passphrase (from --passphrase-file, ${Passphrases.EnvironmentVariable} or the terminal)" };
        public Option<string?> PassphraseFile { get; } = new("--passphrase-file") { Description = "read the passphrase from the first line of this file" };
        public Option<int> WorkFactor { get; } = new("--work-factor") { Description = "scrypt work factor (log2 N) when encrypting with a passphrase", DefaultValueFactory = _ => 18 };
        public Option<int> MaxWorkFactor { get; } = new("--max-work-factor") { Description = "refuse scrypt work factors above this when decrypting (at most 30)", DefaultValueFactory = _ => 22 };

        public void AddEncrypting(Command command)
        {
            foreach (var o in new Option[] { Recipient, RecipientsFile, Passphrase, PassphraseFile, WorkFactor })
                command.Options.Add(o);
        }

        public void AddDecrypting(Command command)
        {
            foreach (var o in new Option[] { Identity, Passphrase, PassphraseFile, MaxWorkFactor })
                command.Options.Add(o);
        }

        public KeyOptions Read(ParseResult parse) => new(parse.GetValue(Recipient) ?? [], parse.GetValue(RecipientsFile) ?? [],
            parse.GetValue(Identity) ?? [], parse.GetValue(Passphrase), parse.GetValue(PassphraseFile), parse.GetValue(WorkFactor), parse.GetValue(MaxWorkFactor));
    }

    public static Command Create(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var pki = new Command("pki", "Back up, restore and check the control-plane PKI (certificates, keys, kubeconfigs) as an age-encrypted archive");
        pki.Subcommands.Add(CreateBackup(output, error, env));
        pki.Subcommands.Add(CreateRestore(output, error, env));
        pki.Subcommands.Add(CreateVerify(output, error, env));
        pki.Subcommands.Add(CreateInspect(output, error, env));
        pki.Subcommands.Add(PkiStoreCommands.CreateList(output, error));
        return pki;
    }

    private static Option<PkiFlavor> FlavorOption() => new("--flavor") { Description = "kubeadm, kubespray or auto (kubespray when /etc/ssl/etcd/ssl or /etc/etcd.env exists)", DefaultValueFactory = _ => PkiFlavor.Auto };

    private static Command CreateBackup(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var keys = new KeyOptionSet();
        var flavor = FlavorOption();
        var root = new Option<string>("--root") { Description = "root of the tree to read (a copy of / in tests)", DefaultValueFactory = _ => "/" };
        var file = new Option<string>("--output-file", "-o") { Description = "archive to write (FILE.age); written to a temporary file, renamed on success" };
        var force = new Option<bool>("--force") { Description = "replace an existing archive" };
        var armor = new Option<bool>("--armor", "-a") { Description = "PEM-armored output" };
        var command = new Command("backup", "Archive the PKI tree (tar with a manifest of hashes and certificate facts), encrypted to age recipients or a passphrase; from --root here, or from one master with -i INVENTORY --host NAME (streamed over SSH, never written here in plaintext)\n" +
            "Exit codes: 0 written; 2 bad arguments or nothing to back up; 3 a file changed during the backup; 5 the archive exists; 6 a --to destination failed (the others have their copy)");
        var inventory = new InventoryOptionsCli();
        var to = PkiStoreCommands.ToOption();
        var cluster = PkiStoreCommands.ClusterOption();
        foreach (var o in new Option[] { flavor, root, file, force, armor, to, cluster })
            command.Options.Add(o);
        keys.AddEncrypting(command);
        inventory.AddTo(command);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            var options = new BackupOptions(parse.GetValue(flavor), parse.GetValue(root)!, parse.GetValue(file), parse.GetValue(force), parse.GetValue(armor), keys.Read(parse),
                parse.GetValue(to) ?? [], parse.GetValue(cluster));
            if (options.OutputFile is null && options.To!.Count == 0)
                throw new DrException("where should the archive go? give -o FILE and/or --to URL", FailureKind.Usage);
            if (!inventory.Given(parse))
                return await BackupAsync(options, output, error, env, TimeProvider.System, ct).ConfigureAwait(false);
            await using var remote = inventory.Open(parse);
            return await RemoteBackupAsync(remote, options with { Cluster = options.Cluster ?? remote.Inventory.Cluster }, output, error, env, ct).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command CreateRestore(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var keys = new KeyOptionSet();
        var archive = new Argument<string>("ARCHIVE") { Description = "PKI archive written by `pki backup`" };
        var to = new Option<string>("--to") { Description = "directory to restore into (the tree's root, e.g. /)", Required = true };
        var command = new Command("restore", "Restore a PKI archive: every file checked against the manifest first, keys 0600, placed atomically; differing existing files are moved aside to NAME.dr-<timestamp>\n" +
            "Exit codes: 0 restored; 2 bad arguments; 3 wrong key, tampered or truncated archive (nothing placed)");
        command.Arguments.Add(archive);
        command.Options.Add(to);
        keys.AddDecrypting(command);
        command.SetAction(Guarded.Action(error, (parse, ct) => RestoreAsync(new RestoreOptions(parse.GetValue(archive)!, parse.GetValue(to)!, keys.Read(parse)),
            output, env, TimeProvider.System, ct)));
        return command;
    }

    private static Command CreateVerify(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var keys = new KeyOptionSet();
        var flavor = FlavorOption();
        var root = new Option<string?>("--root") { Description = "check the live tree under this root" };
        var archive = new Option<string?>("--archive") { Description = "check the contents of a PKI archive instead" };
        var warnDays = new Option<int>("--warn-days") { Description = "warn about certificates expiring within this many days", DefaultValueFactory = _ => 30 };
        var format = Output.CreateOption();
        var command = new Command("verify", "Check chains (each certificate against the CAs in the set), key pairs (RSA, ECDSA, Ed25519, kubeconfig-embedded) and expiry\n" +
            "Exit codes: 0 no errors (warnings allowed); 2 bad arguments; 3 errors found or the archive fails its checks");
        foreach (var o in new Option[] { root, flavor, archive, warnDays, format })
            command.Options.Add(o);
        keys.AddDecrypting(command);
        command.SetAction(Guarded.Action(error, (parse, ct) => VerifyAsync(new VerifyOptions(parse.GetValue(root), parse.GetValue(flavor), parse.GetValue(archive),
            parse.GetValue(warnDays), keys.Read(parse), parse.GetValue(format)), output, error, env, TimeProvider.System, ct)));
        return command;
    }

    private static Command CreateInspect(TextWriter output, TextWriter error, CliEnvironment env)
    {
        var keys = new KeyOptionSet();
        var archive = new Argument<string>("ARCHIVE") { Description = "PKI archive" };
        var format = Output.CreateOption();
        var command = new Command("inspect", "List a PKI archive's manifest (after checking every file against it)\n" +
            "Exit codes: 0 ok; 2 bad arguments; 3 wrong key, tampered or truncated archive");
        command.Arguments.Add(archive);
        command.Options.Add(format);
        keys.AddDecrypting(command);
        command.SetAction(Guarded.Action(error, (parse, ct) => InspectAsync(new InspectOptions(parse.GetValue(archive)!, keys.Read(parse), parse.GetValue(format)),
            output, env, ct)));
        return command;
    }

    public static Task<int> BackupAsync(BackupOptions options, TextWriter output, TextWriter error, CliEnvironment env, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(options.Root))
            throw new DrException($"--root {options.Root} is not a directory", FailureKind.Usage);
        var flavor = options.Flavor == PkiFlavor.Auto ? PkiLayout.Detect(options.Root) : options.Flavor;
        return WriteBackupAsync(new LocalDirectorySource(options.Root, PkiLayout.For(flavor)), flavor, options, output, error, env, clock, cancellationToken);
    }

    /// <summary>`pki backup -i INVENTORY --host NAME`: the same archive, read from one master over SSH.</summary>
    private static async Task<int> RemoteBackupAsync(RemoteCluster remote, BackupOptions options, TextWriter output, TextWriter error, CliEnvironment env, CancellationToken ct)
    {
        if (remote.Hosts.Count != 1)
            throw new DrException($"pki backup reads one master: add --host NAME (one of {string.Join(", ", remote.Inventory.Masters.Select(m => m.Name))})", FailureKind.Usage);
        var host = remote.Hosts.Single();
        var flavor = options.Flavor;
        if (flavor == PkiFlavor.Auto)
        {
            var choice = await RemotePkiFlavor.DecideAsync(host, ct).ConfigureAwait(false);
            flavor = choice.Flavor;
            if (choice.Note is { } note)
                await error.WriteLineAsync($"note: {note}").ConfigureAwait(false);
        }
        return await WriteBackupAsync(new RemotePkiSource(host, PkiLayout.For(flavor)), flavor, options, output, error, env, TimeProvider.System, ct).ConfigureAwait(false);
    }

    private static async Task<int> WriteBackupAsync(IPkiSource source, PkiFlavor flavor, BackupOptions options, TextWriter output, TextWriter error, CliEnvironment env, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (options.To is { Count: > 0 })
            return await PkiStoreCommands.BackupAsync(source, flavor, options, output, error, env, clock, cancellationToken).ConfigureAwait(false);
        var recipients = await AgeCliIO.RecipientsAsync(options.Keys.Recipients, options.Keys.RecipientFiles, options.Keys.Passphrase,
            options.Keys.PassphraseFile, options.Keys.WorkFactor, env, cancellationToken).ConfigureAwait(false);
        var manifest = await PkiArchiveFile.WriteAsync(source, flavor.ToString().ToLowerInvariant(), options.OutputFile!, options.Force,
            recipients, options.Armor, clock, n => error.WriteLine($"note: {n}"), cancellationToken).ConfigureAwait(false);
        var certificates = manifest.Files.Sum(f => f.Certificates?.Count ?? 0);
        await output.WriteLineAsync($"Archived {manifest.Files.Count} files ({certificates} certificates, {manifest.Files.Count(f => f.ContainsSecret)} with private keys) from {source.Description} [{manifest.Flavor}] to {options.OutputFile}").ConfigureAwait(false);
        foreach (var mismatch in manifest.Files.SelectMany(f => f.Certificates ?? []).Where(c => c.KeyMatches == false))
            await error.WriteLineAsync($"warning: the key {mismatch.KeyPath} does not match certificate {mismatch.Subject}").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static async Task<T> WithArchiveAsync<T>(string path, KeyOptions keys, CliEnvironment env, Func<Stream, Task<T>> read, CancellationToken cancellationToken)
    {
        var identities = await AgeCliIO.IdentitiesAsync(keys.IdentityFiles, keys.Passphrase, keys.PassphraseFile, keys.MaxWorkFactor, env, cancellationToken).ConfigureAwait(false);
        var input = AgeCliIO.OpenInput(path, env);
        await using (input.ConfigureAwait(false))
            return await PkiArchiveFile.ReadAsync(input, identities, read, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> RestoreAsync(RestoreOptions options, TextWriter output, CliEnvironment env, TimeProvider clock, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(options.To);
        var steps = await WithArchiveAsync(options.Archive, options.Keys, env,
            tar => PkiRestorer.RestoreAsync(tar, options.To, clock, cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach (var step in steps)
        {
            var line = step.Action switch
            {
                PkiRestoreAction.Placed => $"placed     {step.Path} ({step.Mode})",
                PkiRestoreAction.Unchanged => $"unchanged  {step.Path}",
                PkiRestoreAction.PermissionsFixed => $"fixed      {step.Path} (same content; mode/owner set to {step.Mode} and the recorded owner)",
                _ => $"replaced   {step.Path} ({step.Mode}); the old file was moved to {step.MovedAsideTo}",
            };
            await output.WriteLineAsync(line).ConfigureAwait(false);
        }
        await output.WriteLineAsync($"Restored into {Path.GetFullPath(options.To)}: {steps.Count(s => s.Action == PkiRestoreAction.Placed)} placed, " +
            $"{steps.Count(s => s.Action == PkiRestoreAction.Replaced)} replaced (old copies kept), {steps.Count(s => s.Action == PkiRestoreAction.PermissionsFixed)} permissions fixed, " +
            $"{steps.Count(s => s.Action == PkiRestoreAction.Unchanged)} unchanged").ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    public static async Task<int> VerifyAsync(VerifyOptions options, TextWriter output, TextWriter error, CliEnvironment env, TimeProvider clock, CancellationToken cancellationToken)
    {
        if ((options.Root is null) == (options.Archive is null))
            throw new DrException("give exactly one of --root DIR or --archive FILE", FailureKind.Usage);
        IReadOnlyList<PkiFileAnalysis> files;
        string subject;
        if (options.Root is not null)
        {
            if (!Directory.Exists(options.Root))
                throw new DrException($"--root {options.Root} is not a directory", FailureKind.Usage);
            var flavor = options.Flavor == PkiFlavor.Auto ? PkiLayout.Detect(options.Root) : options.Flavor;
            files = await PkiSets.FromSourceAsync(new LocalDirectorySource(options.Root, PkiLayout.For(flavor)), _ => { }, cancellationToken).ConfigureAwait(false);
            subject = $"{Path.GetFullPath(options.Root)} [{flavor.ToString().ToLowerInvariant()}]";
        }
        else
        {
            files = await WithArchiveAsync(options.Archive!, options.Keys, env,
                async tar => (await PkiSets.FromArchiveAsync(tar, cancellationToken).ConfigureAwait(false)).Files, cancellationToken).ConfigureAwait(false);
            subject = options.Archive!;
        }
        if (files.Count == 0)
            throw new DrException($"no PKI files found in {subject}", FailureKind.Usage);
        var report = PkiChecker.Check(files, clock.GetUtcNow(), options.WarnDays);
        if (Output.IsJson(options.Format))
        {
            Output.WriteJson(output, new PkiCheckJson(subject, report.Errors, report.Warnings, report.Findings));
        }
        else
        {
            foreach (var f in report.Findings)
            {
                var tag = f.Severity switch { PkiSeverity.Ok => "ok  ", PkiSeverity.Warning => "WARN", _ => "FAIL" };
                await output.WriteLineAsync($"{tag} {f.Check,-6} {f.Path}: {f.Detail}").ConfigureAwait(false);
            }
            await output.WriteLineAsync($"{subject}: {files.Count} files, {report.Errors} errors, {report.Warnings} warnings").ConfigureAwait(false);
        }
        return report.HasErrors ? ExitCodes.Integrity : ExitCodes.Ok;
    }

    public static async Task<int> InspectAsync(InspectOptions options, TextWriter output, CliEnvironment env, CancellationToken cancellationToken)
    {
        var manifest = await WithArchiveAsync(options.Archive, options.Keys, env,
            tar => PkiArchiveReader.ReadAsync(tar, null, null, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (Output.IsJson(options.Format))
        {
            Output.WriteJson(output, manifest);
            return ExitCodes.Ok;
        }
        await output.WriteLineAsync($"PKI archive, {manifest.Flavor}, from {manifest.Source}, created {manifest.CreatedUtc:yyyy-MM-dd HH:mm:ss}Z; all {manifest.Files.Count} files match the manifest").ConfigureAwait(false);
        await output.WriteLineAsync($"{"MODE",-5} {"UID:GID",-9} {"SIZE",7} {"KIND",-15} PATH").ConfigureAwait(false);
        foreach (var f in manifest.Files)
        {
            await output.WriteLineAsync($"{f.Mode,-5} {f.Uid + ":" + f.Gid,-9} {f.Size,7} {f.Kind,-15} {f.Path}").ConfigureAwait(false);
            foreach (var c in f.Certificates ?? [])
            {
                var key = c.KeyPath is null ? "no key" : c.KeyMatches == true ? $"key {c.KeyPath} matches" : c.KeyMatches == false ? $"key {c.KeyPath} DOES NOT MATCH" : $"key {c.KeyPath} unchecked";
                var sans = c.SubjectAltNames.Count > 0 ? $" SAN {string.Join(',', c.SubjectAltNames)}" : "";
                await output.WriteLineAsync($"{"",33}{(c.IsCa ? "CA " : "")}{c.Subject} (issuer {c.Issuer}) until {c.NotAfter:yyyy-MM-dd}, serial {c.Serial}, {key}{sans}").ConfigureAwait(false);
            }
        }
        return ExitCodes.Ok;
    }
}

/// <summary>`pki check --output json`.</summary>
public sealed record PkiCheckJson(string Source, int Errors, int Warnings, IReadOnlyList<PkiVault.Archive.PkiFinding> Findings);
