namespace EtcdDr.Restore.Steps;

/// <summary>Sets or removes the named flags/variables, every other byte of the file unchanged (the runtime's EditConfig).</summary>
public sealed class EditConfigStep : IRestoreStep
{
    public StepKind Kind => StepKind.EditConfig;

    public Task<string?> CheckBeforeAsync(PlanStep step, RestoreContext context, CancellationToken ct) => RestoreSteps.Fine;

    public async Task<string?> RunAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        var text = await runtime.ReadConfigAsync(ct).ConfigureAwait(false);
        var edited = runtime.EditConfig(text, step.Settings!);
        if (edited == text)
            return "already set";
        await runtime.WriteConfigAsync(edited, ct).ConfigureAwait(false);
        return string.Join("; ", step.Settings!.Select(s => s.Value is null ? $"{s.Key} removed" : $"{s.Key}={s.Value}"));
    }

    public async Task<string?> CheckAfterAsync(PlanStep step, RestoreContext context, CancellationToken ct)
    {
        var runtime = context.Runtime(step.Host);
        var text = await runtime.ReadConfigAsync(ct).ConfigureAwait(false);
        return runtime.EditConfig(text, step.Settings!) == text ? null : $"{runtime.Topology.ConfigFile} does not hold the new settings after the write";
    }
}
