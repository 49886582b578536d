using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace EtcdDr.Restore;

/// <summary>One line of the journal.</summary>
/// <param name="Type">plan (first line: the plan with request and topology), begin, end, fail, finished.</param>
public sealed record JournalRecord(string Type, DateTimeOffset At, int? Step = null, string? Host = null, string? Note = null,
    string? Error = null, double? Seconds = null, RestorePlan? Plan = null);

/// <summary>
/// The restore's journal on the operator's machine: JSON lines, each appended and fsync'd before the run
/// goes on, one record before and one after each step. Its first line holds the whole plan, the request
/// and the topology read at plan time, because a stopped kubeadm master cannot be discovered again.
/// </summary>
public sealed class RestoreJournal
{
    public const string Extension = ".journal";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { JsonEnums.KebabCaseLower },
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = EtcdDrJson.Default,
    };

    private static JsonTypeInfo<JournalRecord> RecordInfo => (JsonTypeInfo<JournalRecord>)Json.GetTypeInfo(typeof(JournalRecord));

    private readonly TimeProvider _time;

    /// <summary>Steps of one group run at once and each records its begin and end. .NET's Append mode
    /// seeks to the end at open (no O_APPEND), so two concurrent writers can overwrite each other's
    /// line: one writer at a time.</summary>
    private readonly Lock _gate = new();

    private RestoreJournal(string path, TimeProvider time)
    {
        Path = path;
        _time = time;
    }

    public string Path { get; }

    /// <summary>Starts a journal; refuses an existing file (each run has its own stamp).</summary>
    public static RestoreJournal Create(string path, RestorePlan plan, TimeProvider time)
    {
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        if (!Directory.Exists(dir))
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(path))
            throw new DrException($"journal {path} already exists; `etcd-dr restore resume --journal {path}` continues that run", FailureKind.Refused);
        var journal = new RestoreJournal(path, time);
        journal.Append(new JournalRecord("plan", time.GetUtcNow(), Plan: plan));
        return journal;
    }

    /// <summary>Continues an existing journal (resume).</summary>
    public static RestoreJournal Open(string path, TimeProvider time) =>
        File.Exists(path) ? new RestoreJournal(path, time) : throw new DrException($"no journal at {path}", FailureKind.Usage);

    public void Begin(PlanStep step) => Append(new JournalRecord("begin", _time.GetUtcNow(), step.Index, step.Host));

    public void End(PlanStep step, string? note, double seconds) => Append(new JournalRecord("end", _time.GetUtcNow(), step.Index, step.Host, note, Seconds: seconds));

    public void Fail(PlanStep step, string error, double seconds) => Append(new JournalRecord("fail", _time.GetUtcNow(), step.Index, step.Host, Error: error, Seconds: seconds));

    public void Finished(string note) => Append(new JournalRecord("finished", _time.GetUtcNow(), Note: note));

    /// <summary>Appends one line and fsyncs before returning: after a crash the journal says at least this.</summary>
    public void Append(JournalRecord record)
    {
        var line = JsonSerializer.Serialize(record, RecordInfo) + "\n";
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        lock (_gate)
        {
            using var stream = new FileStream(Path, options);
            stream.Write(Encoding.UTF8.GetBytes(line));
            stream.Flush(flushToDisk: true);
            CrashTestPause.AfterRecord(record);
        }
    }

    /// <summary>Reads a journal. A torn last line (the machine died mid-write) is ignored; a damaged line before it is not.</summary>
    public static JournalState Read(string path)
    {
        if (!File.Exists(path))
            throw new DrException($"no journal at {path}", FailureKind.Usage);
        var lines = File.ReadAllLines(path);
        var records = new List<JournalRecord>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
                continue;
            try
            {
                records.Add(JsonSerializer.Deserialize(lines[i], RecordInfo) ?? throw new JsonException("empty record"));
            }
            catch (JsonException ex) when (i == lines.Length - 1)
            {
                _ = ex; // torn last line: the step it would have recorded is redone on resume
            }
            catch (JsonException ex)
            {
                throw new DrException($"{path}:{i + 1}: damaged journal line ({ex.Message})", FailureKind.Integrity, ex);
            }
        }
        var plan = records.FirstOrDefault()?.Plan ?? throw new DrException($"{path}: no plan on the journal's first line", FailureKind.Integrity);
        return new JournalState(path, plan, records);
    }
}

/// <summary>What a journal says: the plan, and how far the run got.</summary>
public sealed record JournalState(string Path, RestorePlan Plan, IReadOnlyList<JournalRecord> Records)
{
    public bool IsFinished => Records.Any(r => r.Type == "finished");

    /// <summary>Steps whose "end" is recorded.</summary>
    public IReadOnlySet<int> Done => Records.Where(r => r.Type == "end" && r.Step is not null).Select(r => r.Step!.Value).ToHashSet();

    /// <summary>Steps that were begun (a retry there cleans up what a killed attempt may have left).</summary>
    public IReadOnlySet<int> Begun => Records.Where(r => r.Type == "begin" && r.Step is not null).Select(r => r.Step!.Value).ToHashSet();

    /// <summary>The first step without an "end": where resume starts, re-checking that step.</summary>
    public int NextStep => Enumerable.Range(0, Plan.Steps.Count).FirstOrDefault(i => !Done.Contains(i), Plan.Steps.Count);

    public JournalRecord? LastFailure => Records.LastOrDefault(r => r.Type == "fail");

    public string StepState(int index) =>
        Done.Contains(index) ? "done"
        : Records.LastOrDefault(r => r.Step == index && r.Type is "fail" or "begin") is { } last ? (last.Type == "fail" ? "FAILED" : "interrupted")
        : "pending";

    public double? Seconds(int index) => Records.LastOrDefault(r => r.Step == index && r.Type == "end")?.Seconds;

    public string? Note(int index) => Records.LastOrDefault(r => r.Step == index && r.Type is "end" or "fail") is { } r ? r.Note ?? r.Error : null;
}
