using System.Globalization;
using EtcdDr.Restore;
using Spectre.Console;

namespace EtcdDr.Cli.Restore;

/// <summary>Plans, preflight, progress and summaries: a table on a terminal, JSON when piped or --output json.</summary>
public static class RestoreRendering
{
    public static RestorePlanJson PlanJson(RestorePlan plan, IReadOnlyList<PreflightCheck>? preflight) => new(
        plan.Request.Strategy,
        plan.Request.Stamp,
        plan.Request.Strategy is RestoreStrategy.SnapshotAll or RestoreStrategy.ForceNewCluster ? plan.Request.EffectiveClusterToken : null,
        plan.Request.Snapshot,
        plan.Members,
        preflight,
        plan.Steps.Select(s => new RestorePlanStepJson(s.Index + 1, s.Host, s.Kind, s.Title, s.Commands, s.Changes, s.Group)),
        plan.AsideDirs.Select(a => new AsideDirJson(a.Host, a.From, a.To)));

    public static void WritePlan(TextWriter output, RestorePlan plan, IReadOnlyList<PreflightCheck>? preflight)
    {
        var console = Tables.ConsoleFor(output);
        var r = plan.Request;
        console.WriteLine($"restore plan: {Kebab(r.Strategy)}, run stamp {r.Stamp}" + (r.Snapshot is { } s ? $", snapshot {s.Origin} ({s.Size} bytes, sha256 {s.Sha256[..16]}…{(s.Revision is { } rev ? $", revision {rev}" : "")})" : ""));
        console.WriteLine("members after the restore: " + string.Join(", ", plan.Members.Select(m => $"{m.Name} {m.PeerUrl}")));
        if (preflight is not null)
        {
            var checks = new Table().AddColumns("PREFLIGHT", "HOST", "", "DETAIL");
            foreach (var c in preflight)
                checks.AddRow(c.Name, Markup.Escape(c.Host), c.Ok ? "ok" : "[red]FAIL[/]", Markup.Escape(c.Detail));
            console.Write(checks);
        }
        var table = new Table().AddColumns("#", "HOST", "STEP", "WHAT (commands, files, flags from -> to)");
        foreach (var step in plan.Steps)
        {
            var what = step.Title + (step.Commands.Count > 0 ? "\n  " + string.Join("\n  ", step.Commands) : "");
            table.AddRow((step.Index + 1).ToString(CultureInfo.InvariantCulture) + (step.Group is { } g && plan.Steps.Count(x => x.Group == g) > 1 ? " ∥" : ""), Markup.Escape(step.Host), Kebab(step.Kind), Markup.Escape(what));
        }
        console.Write(table);
        console.WriteLine("∥ = runs at the same time as the neighbouring steps of its group. Data dirs are moved aside, never deleted:");
        foreach (var (host, from, to) in plan.AsideDirs)
            console.WriteLine($"  {host}: {from} -> {to}");
    }

    public static string Kebab<T>(T value) where T : struct, Enum =>
        string.Concat(value.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>A line per step and host as it starts and ends; on stderr, only on a terminal.</summary>
    public static IProgress<StepEvent>? Progress(TextWriter error, bool interactive) =>
        interactive ? new InlineProgress<StepEvent>(e =>
        {
            var line = $"[{e.Step.Index + 1}/{e.Total}] {e.Step.Host,-12} {Kebab(e.Step.Kind),-20} {e.State}";
            if (e.State != "running")
                line += $" ({e.Seconds:0.0} s)" + (e.Note is null ? "" : $": {e.Note}");
            lock (error)
                error.WriteLine(line);
        }) : null;

    public static RestoreJournalJson JournalJson(JournalState state) => new(
        state.Path,
        state.IsFinished,
        state.IsFinished ? null : state.NextStep + 1,
        state.Plan.Request.Strategy,
        state.Plan.Request.Stamp,
        state.Plan.Steps.Select(s => new RestoreJournalStepJson(s.Index + 1, s.Host, s.Kind, s.Title, state.StepState(s.Index), state.Seconds(s.Index), state.Note(s.Index))),
        state.Plan.AsideDirs.Select(a => new AsideDirJson(a.Host, a.From, a.To)),
        state.Plan.Request.Snapshot is null ? null : state.Plan.Request.StagedSnapshotPath);

    /// <summary>The summary after a run, and `restore status`: each step's state and time, and where the old data is.</summary>
    public static void WriteJournal(TextWriter output, JournalState state)
    {
        var console = Tables.ConsoleFor(output);
        var table = new Table().AddColumns("#", "HOST", "STEP", "STATE", "TIME", "NOTE");
        foreach (var s in state.Plan.Steps)
        {
            var st = state.StepState(s.Index);
            table.AddRow((s.Index + 1).ToString(CultureInfo.InvariantCulture), Markup.Escape(s.Host), Kebab(s.Kind),
                st switch { "done" => "done", "pending" => "pending", _ => $"[red]{st}[/]" },
                state.Seconds(s.Index) is { } sec ? $"{sec:0.0} s" : "", Markup.Escape(state.Note(s.Index) ?? ""));
        }
        console.Write(table);
        var total = state.Plan.Steps.Sum(s => state.Seconds(s.Index) ?? 0);
        console.WriteLine(state.IsFinished ? $"restore finished: {state.Plan.Steps.Count} steps, {total:0.0} s of step time" :
            $"restore NOT finished: next is step {state.NextStep + 1}; `etcd-dr restore resume --journal {state.Path}` continues it");
        console.WriteLine("old data dirs (moved aside, never deleted; remove them yourself once the cluster is trusted):");
        foreach (var (host, from, to) in state.Plan.AsideDirs)
            console.WriteLine($"  {host}: {from} -> {to}");
        if (state.Plan.Request.Snapshot is not null)
            console.WriteLine($"the staged snapshot copy stays on each master at {state.Plan.Request.StagedSnapshotPath}");
        console.WriteLine($"journal: {state.Path}");
    }
}

/// <summary>`restore plan --output json`.</summary>
public sealed record RestorePlanJson(RestoreStrategy Strategy, string Stamp, string? ClusterToken, SnapshotSource? Snapshot, IReadOnlyList<PlannedMember> Members,
    IReadOnlyList<PreflightCheck>? Preflight, IEnumerable<RestorePlanStepJson> Steps, IEnumerable<AsideDirJson> AsideDirs);

public sealed record RestorePlanStepJson(int Index, string Host, StepKind Kind, string Title, IReadOnlyList<string> Commands, IReadOnlyList<ConfigChange>? Changes, string? Group);

public sealed record AsideDirJson(string Host, string From, string To);

/// <summary>`restore run`, `resume` and `status` with --output json.</summary>
public sealed record RestoreJournalJson(string Journal, bool Finished, int? NextStep, RestoreStrategy Strategy, string Stamp,
    IEnumerable<RestoreJournalStepJson> Steps, IEnumerable<AsideDirJson> AsideDirs, string? StagedSnapshot);

public sealed record RestoreJournalStepJson(int Index, string Host, StepKind Kind, string Title, string State, double? Seconds, string? Note);
