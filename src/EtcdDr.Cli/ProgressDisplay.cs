using EtcdDr.Snapshots;
using Spectre.Console;

namespace EtcdDr.Cli;

/// <summary>
/// A progress bar with bytes and rate on stderr when stderr is a terminal; nothing otherwise, so
/// logs and pipes stay clean.
/// </summary>
public static class ProgressDisplay
{
    public static bool Interactive => !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    public static async Task<T> RunAsync<T>(string title, Func<IProgress<SnapshotProgress>?, Task<T>> work)
    {
        if (!Interactive)
            return await work(null).ConfigureAwait(false);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return await console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(title, maxValue: 1);
                task.IsIndeterminate = true;
                var progress = new InlineProgress<SnapshotProgress>(p =>
                {
                    if (p.Total is { } total && task.IsIndeterminate)
                    {
                        task.IsIndeterminate = false;
                        task.MaxValue = Math.Max(total, 1);
                    }
                    task.Value = p.Bytes;
                });
                return await work(progress).ConfigureAwait(false);
            }).ConfigureAwait(false);
    }
}

/// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
