using System.Text.Json;
using EtcdDr.Cli.Restore;
using EtcdDr.Drill;
using EtcdDr.Restore;

namespace EtcdDr.Cli.Drill;

/// <summary>
/// Runs `etcd-dr restore` in this process with the arguments an operator would type, so a drill
/// proves the very command of the runbook. The restore's journal then gives the timeline its
/// per-host steps and the report its moved-aside data dirs.
/// </summary>
public sealed class CliRestorer(string inventory, string stateDirectory, TextWriter log) : IDrillRestorer
{
    /// <summary>The argument list for a request (without the leading "etcd-dr").</summary>
    public IReadOnlyList<string> Arguments(DrillRestoreRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<string> args = request.Strategy == "member"
            ? ["restore", "member", request.Member ?? throw new DrException("restore member needs a member", FailureKind.Usage)]
            : ["restore", "run"];
        args.AddRange(["-i", inventory, "--state-dir", stateDirectory, "--output", "json", "--yes"]);
        switch (request.Strategy)
        {
            case "member":
                break;
            case "from-member":
                args.AddRange(["--from-member", request.Member!]);
                break;
            default:
                if (request.StoreUrl is { } store)
                    args.AddRange(["--from", store, "latest"]);
                else
                    args.AddRange(["--snapshot", request.SnapshotFile ?? throw new DrException("a snapshot restore needs the snapshot", FailureKind.Usage)]);
                args.AddRange(["--strategy", request.Strategy]);
                break;
        }
        foreach (var (name, address) in request.Replacements)
            args.AddRange(["--replace", $"{name}={address}"]);
        if (request.PkiArchive is { } pki)
            args.AddRange(["--pki", pki]);
        if (request.IdentityFile is { } identity)
            args.AddRange(["--identity", identity]);
        return args;
    }

    public async Task<DrillRestoreOutcome> RestoreAsync(DrillRestoreRequest request, CancellationToken ct)
    {
        var args = Arguments(request);
        await log.WriteLineAsync($"  etcd-dr {Remote.ShellQuote.Join(args)}").ConfigureAwait(false);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = CliEnvironment.System with { IsStandardErrorTerminal = () => false, IsStandardOutputTerminal = () => false, PromptLine = _ => null };
        var exit = await EtcdDrCli.RunAsync(EtcdDrCli.Build(stdout, stderr, env), args,
            new System.CommandLine.InvocationConfiguration { Output = stdout, Error = stderr }, ct).ConfigureAwait(false);
        var journalPath = JournalPath(stdout.ToString());
        var journal = journalPath is not null && File.Exists(journalPath) ? RestoreJournal.Read(journalPath) : null;
        if (exit != 0)
        {
            var reason = stderr.ToString().Trim().Split('\n').LastOrDefault(l => l.Length > 0) ?? "(no message)";
            throw new DrException($"`etcd-dr {string.Join(' ', args.Take(2))}` exited {exit}: {reason}" + (journal is null ? "" : $" (journal {journal.Path})"),
                exit is >= 2 and <= 6 ? (FailureKind)exit : FailureKind.General);
        }
        if (journal is null)
            throw new DrException($"`etcd-dr {string.Join(' ', args.Take(2))}` succeeded but printed no journal path; cannot show its steps", FailureKind.General);
        return new DrillRestoreOutcome(
            $"{journal.Plan.Steps.Count} steps ({RestoreRendering.Kebab(journal.Plan.Request.Strategy)}), journal {journal.Path}",
            HostSteps(journal),
            [.. journal.Plan.AsideDirs.Select(a => new MovedDataDir(a.Host, a.From, a.To, "restore"))]);
    }

    /// <summary>Each journaled step from its "begin" to its "end" (or "fail"), on its host's lane.</summary>
    public static IReadOnlyList<DrillStep> HostSteps(JournalState journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var steps = new List<DrillStep>();
        foreach (var step in journal.Plan.Steps)
        {
            var begin = journal.Records.LastOrDefault(r => r.Type == "begin" && r.Step == step.Index);
            var end = journal.Records.LastOrDefault(r => r.Type is "end" or "fail" && r.Step == step.Index);
            if (begin is null || end is null)
                continue;
            var lane = step.Host == PlanStep.ClusterHost ? "restore (cluster)" : step.Host;
            steps.Add(new DrillStep(lane, "restore", $"{RestoreRendering.Kebab(step.Kind)}: {step.Title}", begin.At, end.At, end.Note, end.Type == "fail" ? end.Error ?? "failed" : null));
        }
        return steps;
    }

    private static string? JournalPath(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.TryGetProperty("journal", out var path) ? path.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
