using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace EtcdDr.Remote;

/// <summary>What known_hosts says about the key a host presented.</summary>
public enum HostKeyVerdict
{
    /// <summary>An entry for this host has exactly this key.</summary>
    Known,
    /// <summary>No entry for this host at all.</summary>
    Unknown,
    /// <summary>The host has entries, none with this key: rebuilt, or someone in the middle.</summary>
    Changed,
    /// <summary>The key is marked @revoked.</summary>
    Revoked,
}

/// <summary>
/// OpenSSH's known_hosts files, read the way ssh reads them for StrictHostKeyChecking: plain and
/// hashed (|1|salt|hash) host names, pattern lists with * ? and !negation, the [host]:port form for
/// ports other than 22, @revoked. @cert-authority lines are skipped: the built-in client does not
/// check host certificates, so a host known only through a CA is unknown here (refused, not trusted).
/// </summary>
public sealed class KnownHosts(IReadOnlyList<string> files)
{
    public IReadOnlyList<string> Files => files;

    /// <summary>The name ssh looks up: the address for port 22, else [address]:port.</summary>
    public static string LookupName(string address, int port) => port == 22 ? address : $"[{address}]:{port}";

    /// <summary>The key type a public key blob names (its first SSH string).</summary>
    public static string KeyType(ReadOnlySpan<byte> blob)
    {
        if (blob.Length < 4)
            return "";
        var length = BinaryPrimitives.ReadInt32BigEndian(blob);
        return length < 0 || length > blob.Length - 4 ? "" : Encoding.ASCII.GetString(blob.Slice(4, length));
    }

    /// <summary>The key types known_hosts holds for the host (revoked ones left out): the client
    /// should offer only those host key algorithms, as OpenSSH prefers them.</summary>
    public IReadOnlySet<string> KnownKeyTypes(string address, int port)
    {
        var types = Entries(LookupName(address, port)).Where(e => e.Marker is null).Select(e => e.KeyType).ToHashSet(StringComparer.Ordinal);
        if (types.Count == 0 && port != 22)
            types = Entries(address).Where(e => e.Marker is null).Select(e => e.KeyType).ToHashSet(StringComparer.Ordinal);
        return types;
    }

    /// <summary>
    /// As ssh's check_host_key: the [address]:port entries decide; when there are none and the port
    /// is not 22, an entry for the bare address with this very key is accepted too ("found matching
    /// key w/out port"), while a different key there leaves the host unknown, not changed.
    /// </summary>
    public HostKeyVerdict Check(string address, int port, ReadOnlySpan<byte> presentedBlob)
    {
        var verdict = CheckName(LookupName(address, port), Convert.ToBase64String(presentedBlob));
        if (verdict == HostKeyVerdict.Unknown && port != 22 && CheckName(address, Convert.ToBase64String(presentedBlob)) == HostKeyVerdict.Known)
            return HostKeyVerdict.Known;
        return verdict;
    }

    private HostKeyVerdict CheckName(string name, string presented)
    {
        var entries = Entries(name).ToList();
        if (entries.Any(e => e.Marker == "@revoked" && e.Key == presented))
            return HostKeyVerdict.Revoked;
        var forHost = entries.Where(e => e.Marker is null).ToList();
        if (forHost.Count == 0)
            return HostKeyVerdict.Unknown;
        return forHost.Any(e => e.Key == presented) ? HostKeyVerdict.Known : HostKeyVerdict.Changed;
    }

    /// <summary>Adds the host's key to the first file, as `ssh -o StrictHostKeyChecking=accept-new` does.</summary>
    public void Add(string address, int port, ReadOnlySpan<byte> blob)
    {
        var file = files[0];
        if (Path.GetDirectoryName(file) is { Length: > 0 } directory && !Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var line = $"{LookupName(address, port)} {KeyType(blob)} {Convert.ToBase64String(blob)}\n";
        var existing = File.Exists(file) ? File.ReadAllText(file) : "";
        if (existing.Length > 0 && !existing.EndsWith('\n'))
            line = "\n" + line;
        using var stream = new FileStream(file, new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(Encoding.ASCII.GetBytes(line));
    }

    private sealed record Entry(string? Marker, string KeyType, string Key);

    private IEnumerable<Entry> Entries(string name)
    {
        foreach (var file in files)
        {
            if (!File.Exists(file))
                continue;
            foreach (var raw in File.ReadLines(file))
            {
                var fields = raw.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0 || fields[0].StartsWith('#'))
                    continue;
                string? marker = null;
                if (fields[0].StartsWith('@'))
                {
                    marker = fields[0];
                    fields = fields[1..];
                    if (marker is not "@revoked")
                        continue; // @cert-authority: host certificates are not checked here
                }
                if (fields.Length < 3 || !HostMatches(fields[0], name))
                    continue;
                yield return new Entry(marker, fields[1], fields[2]);
            }
        }
    }

    private static bool HostMatches(string hosts, string name)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal))
            return HashedMatches(hosts, name);
        // A pattern list: any positive match, and no negated one.
        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            if (pattern.StartsWith('!'))
            {
                if (Wildcard(pattern[1..], name))
                    return false;
            }
            else if (Wildcard(pattern, name))
            {
                matched = true;
            }
        }
        return matched;
    }

    private static bool HashedMatches(string hosts, string name)
    {
        var parts = hosts.Split('|');
        if (parts.Length != 4)
            return false;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes(name)), hash);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>OpenSSH's match_pattern: * any run, ? one character, case-insensitive host names.</summary>
    private static bool Wildcard(string pattern, string name)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(name, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }
}
