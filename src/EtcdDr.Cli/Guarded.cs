using System.CommandLine;

namespace EtcdDr.Cli;

/// <summary>
/// Wraps a verb's handler so that every failure becomes one line on stderr and a documented exit
/// code, instead of a stack trace. Handlers throw <see cref="DrException"/> for expected failures.
/// </summary>
public static class Guarded
{
    public static Func<ParseResult, CancellationToken, Task<int>> Action(
        TextWriter error, Func<ParseResult, CancellationToken, Task<int>> handler) =>
        async (parse, ct) =>
        {
            try
            {
                return await handler(parse, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await error.WriteLineAsync("etcd-dr: interrupted").ConfigureAwait(false);
                return ExitCodes.Interrupted;
            }
            catch (DrException ex)
            {
                await error.WriteLineAsync($"etcd-dr: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.For(ex.Kind);
            }
            catch (Exception ex) when (ErrorTranslation.Translate(ex) is { } known)
            {
                await error.WriteLineAsync($"etcd-dr: {known.Message}").ConfigureAwait(false);
                return ExitCodes.For(known.Kind);
            }
            catch (Exception ex)
            {
                await error.WriteLineAsync($"etcd-dr: unexpected {ex.GetType().Name}: {ex.Message}").ConfigureAwait(false);
                // A bug, not an operator error: ETCD_DR_DEBUG=1 shows where, for the bug report.
                if (Environment.GetEnvironmentVariable("ETCD_DR_DEBUG") is "1" or "true")
                    await error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        };
}

/// <summary>
/// Maps exceptions from libraries (PkiVault, the file system) to operator-facing failures. One place,
/// so every verb reports a full disk or a wrong passphrase the same way.
/// </summary>
public static class ErrorTranslation
{
    private static readonly List<Func<Exception, DrException?>> Translators =
    [
        ex => ex is UnauthorizedAccessException ? new DrException($"permission denied: {ex.Message}", FailureKind.General, ex) : null,
        ex => ex is IOException io && Failures.IsDiskFull(io) ? new DrException(Failures.Describe(io), FailureKind.General, ex) : null,
        ex => ex is FileNotFoundException or DirectoryNotFoundException ? new DrException(ex.Message, FailureKind.Usage, ex) : null,
    ];

    /// <summary>Lets a library area (PkiVault's age errors, say) add its own mapping at start-up.</summary>
    public static void Register(Func<Exception, DrException?> translator) => Translators.Add(translator);

    public static DrException? Translate(Exception ex)
    {
        foreach (var translate in Translators)
        {
            if (translate(ex) is { } found)
                return found;
        }
        return null;
    }
}
