using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace EtcdDr.Remote;

/// <summary>
/// What an inventory value may be before it reaches ssh's argument list or a store key. ssh reads
/// a destination, a -l user or a -J value that starts with '-' as an option (`address: '-V'` made
/// `inventory check --connect` print ok without connecting), and a cluster name is a store key's
/// first path segment. Each check returns null when the value is fine, else why it is not.
/// </summary>
public static class InventoryValidation
{
    public const int MaxClusterNameLength = 63;

    /// <summary>A host name, an IPv4 or IPv6 address, or an ssh_config Host alias.</summary>
    public static string? AddressProblem(string address)
    {
        if (address.Length == 0)
            return "is empty";
        if (address[0] == '-')
            return "starts with '-' (ssh would read it as an option)";
        if (address.Length > 253 && !IPAddress.TryParse(address, out _))
            return "is longer than a host name can be (253 characters)";
        if (IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 && !address.Contains('['))
            return null; // zone ids (fe80::1%eth0) included
        // Host names, IPv4 and ssh_config aliases: DNS characters, plus '_' that aliases often carry.
        return address.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? null
            : $"may hold only letters, digits, '-', '.' and '_' (a host name, an IPv4 or IPv6 address, or an ssh_config Host alias){Describe(address)}";
    }

    /// <summary>A login name as ssh -l takes it: Active Directory's user@domain and names with spaces
    /// included, but nothing a shell would act on (ssh puts %r into ProxyCommand and LocalCommand).</summary>
    public static string? UserProblem(string user)
    {
        if (user.Length == 0)
            return "is empty";
        if (user[0] == '-')
            return "starts with '-' (ssh would read it as an option)";
        if (user.Any(char.IsControl))
            return $"holds a control character{Describe(user)}";
        var shell = user.FirstOrDefault(c => "'\"`\\;&|<>(){}*?!#~".Contains(c, StringComparison.Ordinal));
        return shell == default ? null : $"holds '{shell}', which a shell would act on";
    }

    /// <summary>ssh -J: "none", or hops [user@]host[:port] separated by commas (host may be [IPv6]).</summary>
    public static string? ProxyJumpProblem(string jump)
    {
        if (jump == "none")
            return null;
        if (jump.Length == 0)
            return "is empty";
        foreach (var hop in jump.Split(','))
        {
            var rest = hop.StartsWith("ssh://", StringComparison.Ordinal) ? hop["ssh://".Length..] : hop;
            var at = rest.LastIndexOf('@');
            if (at >= 0 && UserProblem(rest[..at]) is { } userProblem)
                return $"hop '{hop}': user {userProblem}";
            var hostPort = rest[(at + 1)..];
            string host;
            string? port = null;
            if (hostPort.StartsWith('['))
            {
                var close = hostPort.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                    return $"hop '{hop}': unterminated '['";
                host = hostPort[1..close];
                if (close + 1 < hostPort.Length)
                {
                    if (hostPort[close + 1] != ':')
                        return $"hop '{hop}': expected ':port' after ']'";
                    port = hostPort[(close + 2)..];
                }
                if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
                    return $"hop '{hop}': '{host}' in brackets is not an IPv6 address";
            }
            else
            {
                var colon = hostPort.LastIndexOf(':');
                (host, port) = colon >= 0 ? (hostPort[..colon], hostPort[(colon + 1)..]) : (hostPort, null);
                if (AddressProblem(host) is { } hostProblem)
                    return $"hop '{hop}': host '{host}' {hostProblem}";
            }
            if (port is not null && PortProblem(port) is { } portProblem)
                return $"hop '{hop}': port {portProblem}";
        }
        return null;
    }

    /// <summary>A TCP port, 1-65535, as written in a file.</summary>
    public static string? PortProblem(string text) =>
        ParsePort(text) is null ? $"'{text}' is not a port number (1-65535)" : null;

    public static int? ParsePort(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535 ? port : null;

    /// <summary>A cluster name is the first path segment of every store key (&lt;cluster&gt;/snapshots/...).</summary>
    public static string? ClusterProblem(string cluster)
    {
        if (cluster.Length == 0)
            return "is empty";
        if (cluster.Length > MaxClusterNameLength)
            return $"is longer than {MaxClusterNameLength} characters";
        if (!cluster.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            return "may hold only letters, digits, '-', '_' and '.'";
        if (!char.IsAsciiLetterOrDigit(cluster[0]))
            return "must start with a letter or digit (it names a folder in every store; '.' and '..' would not)";
        return null;
    }

    /// <summary>Control characters and spaces are invisible in a message: name them.</summary>
    private static string Describe(string value)
    {
        var odd = value.FirstOrDefault(c => char.IsControl(c) || char.IsWhiteSpace(c));
        return odd == default ? "" : $"; it holds {(odd == ' ' ? "a space" : $"the control character U+{(int)odd:X4}")}";
    }
}
