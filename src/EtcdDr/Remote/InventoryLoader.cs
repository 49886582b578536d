namespace EtcdDr.Remote;

/// <summary>
/// `-i FILE` for every verb: etcd-dr.yaml, Kubespray's hosts.yaml or an Ansible INI inventory,
/// told apart by content. Kubespray inventories carry no cluster name, so it comes from --cluster
/// or the inventory folder's name (inventory/prod-eu1/hosts.yaml gives "prod-eu1").
/// </summary>
public static class InventoryLoader
{
    public static Inventory Load(string path, string? cluster = null)
    {
        if (!File.Exists(path))
            throw new DrException($"inventory {path} does not exist", FailureKind.Usage);
        if (cluster is not null && InventoryValidation.ClusterProblem(cluster) is { } problem)
            throw new DrException($"cluster name '{cluster}' {problem}", FailureKind.Usage);
        var text = File.ReadAllText(path);
        // Before telling the formats apart: an empty file reads as an INI file without groups.
        if (InventoryFile.IsEmpty(text))
            throw new DrException($"inventory {path} is empty: write etcd-dr.yaml (a cluster and its masters) or give Kubespray's hosts.yaml", FailureKind.Usage);
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith('[') || !LooksLikeYaml(trimmed))
            return KubesprayInventory.ParseIni(text, path, cluster ?? FolderName(path));
        if (trimmed.StartsWith("all:", StringComparison.Ordinal) || text.Contains("\nall:", StringComparison.Ordinal))
            return KubesprayInventory.ParseYaml(text, path, cluster ?? FolderName(path));
        var inventory = InventoryFile.Parse(text, path);
        return cluster is null ? inventory : inventory with { Cluster = cluster };
    }

    /// <summary>The first line that is not blank, a comment, a document start (---) or a directive
    /// (%YAML) has a key: YAML. INI's first line is a [group] or a bare host.</summary>
    private static bool LooksLikeYaml(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && l[0] is not ('#' or '%') && l != "---") is { } first && first.Contains(':', StringComparison.Ordinal);

    private static string FolderName(string path)
    {
        var name = new DirectoryInfo(Path.GetDirectoryName(Path.GetFullPath(path))!).Name;
        return InventoryValidation.ClusterProblem(name) is null ? name : "default";
    }
}
