using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EtcdDr.Lab;

/// <summary>What `lab up` built, saved as STATE/lab.json for the other lab verbs.</summary>
public sealed record LabState(LabSpec Spec, string? CgroupRoot, DateTimeOffset CreatedAt)
{
        [JsonIgnore]
    public LabPaths Paths => new(Spec.StateDirectory);

    public void Save() => File.WriteAllText(Paths.StateFile, JsonSerializer.Serialize(this, LabStateJson.Default.LabState));

    public static LabState? TryLoad(string stateDirectory)
    {
        var file = new LabPaths(stateDirectory).StateFile;
        if (!File.Exists(file))
            return null;
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), LabStateJson.Default.LabState);
        }
        catch (JsonException)
        {
            return null; // half-written by a crashed `lab up`: down still cleans by name and marker
        }
    }

    public static LabState Load(string stateDirectory) =>
        TryLoad(stateDirectory) ?? throw new DrException($"no lab in {stateDirectory} (no readable lab.json); run `etcd-dr lab up` first", FailureKind.Usage);

    /// <summary>A short, stable tag for names outside the state folder (cgroup, iptables chains).</summary>
    public static string Tag(string stateDirectory) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(stateDirectory))))[..8];
}
