namespace EtcdDr.Cli;

/// <summary>
/// Where a passphrase comes from, in order: --passphrase-file, $ETCD_DR_PASSPHRASE, a prompt on the
/// terminal. Never from argv, where every user on the machine could read it in the process list.
/// </summary>
public static class Passphrases
{
    public const string EnvironmentVariable = "ETCD_DR_PASSPHRASE";

    public static async Task<string> ResolveAsync(string? passphraseFile, CliEnvironment env, bool confirm, CancellationToken cancellationToken)
    {
        if (passphraseFile is not null)
        {
            var text = await File.ReadAllTextAsync(passphraseFile, cancellationToken).ConfigureAwait(false);
            // The first line is the passphrase; the newline an editor adds is not part of it.
            var firstLine = text.Split('\n')[0].TrimEnd('\r');
            if (firstLine.Length == 0)
                throw new DrException($"{passphraseFile}: the passphrase file is empty", FailureKind.Usage);
            return firstLine;
        }
        if (env.GetVariable(EnvironmentVariable) is { Length: > 0 } fromEnv)
            return fromEnv;
        var entered = env.PromptSecret("Enter passphrase: ")
            ?? throw new DrException($"no passphrase: give --passphrase-file FILE, set {EnvironmentVariable}, or run on a terminal", FailureKind.Usage);
        if (entered.Length == 0)
            throw new DrException("the passphrase is empty", FailureKind.Usage);
        if (confirm && env.PromptSecret("Confirm passphrase: ") != entered)
            throw new DrException("the passphrases do not match", FailureKind.Usage);
        return entered;
    }
}
