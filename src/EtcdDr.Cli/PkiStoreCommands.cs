using System.CommandLine;
using EtcdDr.Pki;
using EtcdDr.Storage;
using PkiVault.Archive;
using Spectre.Console;

namespace EtcdDr.Cli;

/// <summary>`pki backup --to URL` and `pki list`: PKI archives in the same stores as snapshots.</summary>
public static class PkiStoreCommands
{
    public static Option<string[]> ToOption() => new("--to")
    {
        Description = "store the encrypted archive as <cluster>/pki/<UTC time>.tar.age at a destination URL (repeatable): file:///dir, ssh://host/dir, s3://bucket/prefix, azblob://account/container",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Option<string?> ClusterOption() => new("--cluster") { Description = "cluster name: archives live under <cluster>/pki/ in the store (default with -i: the inventory's)" };

    /// <summary>Builds the archive once and stores it everywhere; exit 6 when a destination failed.</summary>
    public static async Task<int> BackupAsync(IPkiSource source, PkiFlavor flavor, PkiCommands.BackupOptions options, TextWriter output, TextWriter error,
        CliEnvironment env, TimeProvider clock, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var cluster = options.Cluster ?? throw new DrException("pki backup --to needs --cluster NAME (the folder under which the cluster's backups are kept)", FailureKind.Usage);
        StoreLayout.PkiPrefix(cluster); // validates the name before anything is read
        var keys = options.Keys;
        var recipients = await AgeCliIO.RecipientsAsync(keys.Recipients, keys.RecipientFiles, keys.Passphrase, keys.PassphraseFile, keys.WorkFactor, env, ct).ConfigureAwait(false);
        var names = keys.Recipients.Concat(keys.RecipientFiles.Select(f => $"recipients file {Path.GetFileName(f)}")).ToList();
        if (keys.Passphrase || keys.PassphraseFile is not null)
            names.Add("scrypt passphrase");
        await using var stores = new OpenedStores();
        var openings = (options.To ?? []).Select(stores.TryOpen).ToList();
        var result = await PkiStoreBackup.WriteAsync(source, flavor.ToString().ToLowerInvariant(), cluster, openings, options.OutputFile, options.Force,
            recipients, names, options.Armor, clock, n => error.WriteLine($"note: {n}"), ct).ConfigureAwait(false);
        var certificates = result.Archive.Files.Sum(f => f.Certificates?.Count ?? 0);
        await output.WriteLineAsync($"Archived {result.Archive.Files.Count} files ({certificates} certificates) from {source.Description} [{result.Archive.Flavor}], {StatusCommand.Bytes(result.Manifest.FileSize)} encrypted, sha256 {result.Manifest.FileSha256}").ConfigureAwait(false);
        foreach (var copy in result.Copies)
            await output.WriteLineAsync(copy.Succeeded ? $"  saved   {copy.Location}" : $"  FAILED  {copy.Destination}: {copy.Error}").ConfigureAwait(false);
        foreach (var failed in result.Copies.Where(c => !c.Succeeded))
            await error.WriteLineAsync($"etcd-dr: {failed.Destination}: {failed.Error}").ConfigureAwait(false);
        return result.Partial ? ExitCodes.Partial : ExitCodes.Ok;
    }

    public static Command CreateList(TextWriter output, TextWriter error)
    {
        var from = new Option<string>("--from") { Description = "store URL", Required = true };
        var cluster = new Option<string>("--cluster") { Description = "cluster name (the folder under which its backups are kept)", Required = true };
        var format = Output.CreateOption();
        var command = new Command("list", "List a cluster's PKI archives in a store, newest first, and uploads that never finished (no manifest: not an archive)\n" +
            "Exit codes: 0 listed; 3 a manifest is unreadable or disagrees with its archive; 4 the store cannot be read");
        foreach (var option in new Option[] { from, cluster, format })
            command.Options.Add(option);
        command.SetAction(Guarded.Action(error, async (parse, ct) =>
        {
            await using var stores = new OpenedStores();
            var store = stores.Open(parse.GetValue(from)!);
            var catalog = await PkiCatalog.ReadAsync(store, parse.GetValue(cluster)!, ct).ConfigureAwait(false);
            if (Output.IsJson(parse.GetValue(format)))
            {
                Output.WriteJson(output, new PkiListJson(
                    catalog.Archives.Select(a => new PkiListRowJson(a.Key, a.CreatedAt, a.Size, a.Verified, a.Manifest?.Flavor, a.Manifest?.Files, a.Manifest?.FileSha256, a.Problem)),
                    catalog.Incomplete));
            }
            else
            {
                var table = new Table().AddColumns("TIME (UTC)", "SIZE", "FILES", "FLAVOR", "VERIFIED", "KEY");
                foreach (var a in catalog.Archives)
                    table.AddRow($"{a.CreatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss}", StatusCommand.Bytes(a.Size), a.Manifest?.Files.ToString() ?? "?", Markup.Escape(a.Manifest?.Flavor ?? "?"), a.Verified ? "yes" : "[red]NO[/]", Markup.Escape(a.Key));
                var console = Tables.ConsoleFor(output);
                console.Write(table);
                foreach (var o in catalog.Incomplete)
                    console.WriteLine($"incomplete upload (no manifest, not an archive): {o.Key}");
                foreach (var a in catalog.Archives.Where(a => a.Problem is not null))
                    console.WriteLine($"problem: {a.Problem}");
            }
            return catalog.Archives.Any(a => !a.Verified) ? ExitCodes.Integrity : ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>`pki list --output json`.</summary>
public sealed record PkiListJson(IEnumerable<PkiListRowJson> Archives, IReadOnlyList<EtcdDr.Storage.StoreObject> Incomplete);

public sealed record PkiListRowJson(string Key, DateTimeOffset CreatedAt, long Size, bool Verified, string? Flavor, int? Files, string? FileSha256, string? Problem);
