using EtcdDr.Topology.Runtimes;

namespace EtcdDr.Tests.Topology.Runtimes;

/// <summary>Golden edits: every byte but the named flags/variables stays.</summary>
public class ConfigEditTests
{
    /// <summary>The lines that differ, as "-old" / "+new", in order.</summary>
    private static List<string> Diff(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        var removed = a.Except(b).Select(l => "-" + l);
        var added = b.Except(a).Select(l => "+" + l);
        return [.. removed, .. added];
    }

    [Fact]
    public void Kubeadm_flag_is_replaced_in_place_added_after_the_last_flag_and_removed()
    {
        var before = Fixtures.KubeadmEtcdManifest + "\n";
        var after = ManifestFlagEditor.Edit(before, new Dictionary<string, string?>
        {
            ["initial-cluster"] = "cp-1=https://10.0.0.11:2380,cp-2=https://10.0.0.12:2380",
            ["initial-cluster-state"] = "existing",
            ["force-new-cluster"] = "true",
            ["snapshot-count"] = null,
        }, "cp-1:etcd.yaml");

        var expected = before
            .Replace("    - --initial-cluster=cp-1=https://10.0.0.11:2380\n", "    - --initial-cluster=cp-1=https://10.0.0.11:2380,cp-2=https://10.0.0.12:2380\n", StringComparison.Ordinal)
            .Replace("    - --snapshot-count=10000\n", "", StringComparison.Ordinal)
            .Replace("    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt\n",
                "    - --trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt\n    - --initial-cluster-state=existing\n    - --force-new-cluster=true\n", StringComparison.Ordinal);
        Assert.Equal(expected, after);
        Assert.Equal(5, Diff(before, after).Count);

        // And back: taking the added flags out again restores the original bytes but the two edits.
        var back = ManifestFlagEditor.Edit(after, new Dictionary<string, string?> { ["initial-cluster-state"] = null, ["force-new-cluster"] = null }, "x");
        Assert.Equal(expected.Replace("    - --initial-cluster-state=existing\n    - --force-new-cluster=true\n", "", StringComparison.Ordinal), back);
    }

    [Fact]
    public void Kubeadm_manifest_with_quoted_flags_crlf_and_two_containers_keeps_its_style()
    {
        const string before = "apiVersion: v1\r\nkind: Pod\r\nspec:\r\n  initContainers:\r\n  - name: wait\r\n    command:\r\n      - sh\r\n      - -c\r\n      - \"sleep 1\"\r\n" +
            "  containers:\r\n  - name: etcd\r\n    command:\r\n      - etcd\r\n      - \"--name=cp-1\"\r\n      - '--data-dir=/var/lib/etcd'\r\n      - --initial-cluster-state=new\r\n    image: registry.k8s.io/etcd:3.5.15-0\r\n";
        var after = ManifestFlagEditor.Edit(before, new Dictionary<string, string?>
        {
            ["name"] = "cp-9",
            ["data-dir"] = "/data/etcd",
            ["initial-cluster-state"] = "existing",
            ["initial-cluster-token"] = "etcd-dr: 2",
        }, "x");
        Assert.Equal("apiVersion: v1\r\nkind: Pod\r\nspec:\r\n  initContainers:\r\n  - name: wait\r\n    command:\r\n      - sh\r\n      - -c\r\n      - \"sleep 1\"\r\n" +
            "  containers:\r\n  - name: etcd\r\n    command:\r\n      - etcd\r\n      - \"--name=cp-9\"\r\n      - '--data-dir=/data/etcd'\r\n      - --initial-cluster-state=existing\r\n      - '--initial-cluster-token=etcd-dr: 2'\r\n    image: registry.k8s.io/etcd:3.5.15-0\r\n", after);
    }

    [Fact]
    public void Kubeadm_manifest_in_flow_style_is_refused_not_rewritten()
    {
        var error = Assert.Throws<DrException>(() => ManifestFlagEditor.Edit("""{"spec":{"containers":[{"name":"etcd","command":["etcd","--name=a"]}]}}""",
            new Dictionary<string, string?> { ["name"] = "b" }, "cp-1:/etc/kubernetes/manifests/etcd.yaml"));
        Assert.Equal(FailureKind.Usage, error.Kind);
        Assert.StartsWith("cp-1:/etc/kubernetes/manifests/etcd.yaml: cannot find the etcd container's block-style command: list", error.Message);
    }

    [Fact]
    public void Kubespray_env_variable_is_replaced_in_place_appended_and_removed()
    {
        var before = Fixtures.KubesprayEtcdEnv + "\n";
        var after = EnvFileEditor.Edit(before, new Dictionary<string, string?>
        {
            ["initial-cluster-state"] = "new",
            ["initial-cluster"] = "etcd1=https://10.0.0.21:2380",
            ["force-new-cluster"] = "true",
            ["auto-compaction-retention"] = null,
        });
        var expected = before
            .Replace("ETCD_INITIAL_CLUSTER_STATE=existing\n", "ETCD_INITIAL_CLUSTER_STATE=new\n", StringComparison.Ordinal)
            .Replace("ETCD_INITIAL_CLUSTER=etcd1=https://10.0.0.21:2380,etcd2=https://10.0.0.22:2380,etcd3=https://10.0.0.23:2380\n", "ETCD_INITIAL_CLUSTER=etcd1=https://10.0.0.21:2380\n", StringComparison.Ordinal)
            .Replace("ETCD_AUTO_COMPACTION_RETENTION=8\n", "", StringComparison.Ordinal)
            + "ETCD_FORCE_NEW_CLUSTER=true\n";
        Assert.Equal(expected, after);
        // ETCD_INITIAL_CLUSTER_TOKEN shares a prefix with ETCD_INITIAL_CLUSTER and stays.
        Assert.Contains("ETCD_INITIAL_CLUSTER_TOKEN=k8s_etcd\n", after);

        var back = EnvFileEditor.Edit(after, new Dictionary<string, string?> { ["force-new-cluster"] = null });
        Assert.Equal(expected.Replace("ETCD_FORCE_NEW_CLUSTER=true\n", "", StringComparison.Ordinal), back);
    }

    [Fact]
    public void Env_file_quotes_export_spacing_crlf_and_a_missing_last_newline_are_kept()
    {
        const string before = "# etcd\r\nexport ETCD_NAME=\"etcd1\"\r\nETCD_INITIAL_CLUSTER_STATE = 'new'  \r\n#ETCD_FORCE_NEW_CLUSTER=true\r\nETCD_DATA_DIR=/var/lib/etcd";
        var after = EnvFileEditor.Edit(before, new Dictionary<string, string?>
        {
            ["name"] = "etcd 2",
            ["initial-cluster-state"] = "existing",
            ["force-new-cluster"] = "true",
        });
        Assert.Equal("# etcd\r\nexport ETCD_NAME=\"etcd 2\"\r\nETCD_INITIAL_CLUSTER_STATE = 'existing'  \r\n#ETCD_FORCE_NEW_CLUSTER=true\r\nETCD_DATA_DIR=/var/lib/etcd\r\nETCD_FORCE_NEW_CLUSTER=true\r\n", after);
    }

    [Fact]
    public void Names_map_to_the_flavors_format()
    {
        Assert.Equal("ETCD_INITIAL_CLUSTER_STATE", EnvFileEditor.Variable("initial-cluster-state"));
        Assert.Equal("ETCD_FORCE_NEW_CLUSTER", EnvFileEditor.Variable("--force-new-cluster"));
    }
}
