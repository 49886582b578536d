namespace EtcdDr.Remote;

/// <summary>
/// What `inventory check` finds wrong beyond the file's syntax: files the SSH settings name that
/// are not there. ssh would say "no such identity" and fall back to other keys, or refuse every
/// host key, which reads like a network problem; naming the file here saves that hunt.
/// </summary>
public static class InventoryChecks
{
    public static IReadOnlyList<string> MissingFiles(Inventory inventory, string? home = null)
    {
        home ??= Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var problems = new List<string>();
        void Check(string? path, string what)
        {
            if (path is null)
                return;
            var expanded = Expand(path, home);
            if (!File.Exists(expanded))
                problems.Add($"{what} {path} does not exist{(expanded == path ? "" : $" ({expanded})")}");
        }
        Check(inventory.Ssh.IdentityFile, "ssh.identityFile");
        Check(inventory.Ssh.KnownHostsFile, "ssh.knownHostsFile");
        Check(inventory.Ssh.ConfigFile, "ssh.configFile");
        foreach (var m in inventory.Masters.Where(m => m.IdentityFile is not null && m.IdentityFile != inventory.Ssh.IdentityFile))
            Check(m.IdentityFile, $"{m.Name}: identity file");
        // One line per file: every master of a Kubespray group usually names the same key.
        return problems.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>~ and ~/ as ssh expands them in -i, UserKnownHostsFile and -F.</summary>
    public static string Expand(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;
}
