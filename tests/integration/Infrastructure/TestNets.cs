namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>
/// The loopback /24s the lab tests use: 127.O.N, where N is fixed per fixture (101-108 today) and O
/// is ETCD_DR_TEST_OCTET (default 0). Two test runs on one machine (two engineers' worktrees, a
/// helper beside CI) each set their own O, so their labs, sshds and etcds never share an address.
/// Random test clusters use 127.64-254.x (<see cref="LoopbackAddresses"/>), so O stays below 64.
/// </summary>
public static class TestNets
{
    public static int Octet { get; } = ParseOctet(Environment.GetEnvironmentVariable("ETCD_DR_TEST_OCTET"));

    /// <summary>"127.O.N": the first three octets of a lab's net.</summary>
    public static string Net(int third) => $"127.{Octet}.{third}";

    /// <summary>"127.O.N.host": one address.</summary>
    public static string Address(int third, int host) => $"{Net(third)}.{host}";

    private static int ParseOctet(string? value) =>
        string.IsNullOrEmpty(value) ? 0
        : int.TryParse(value, out var octet) && octet is >= 0 and < 64 ? octet
        : throw new InvalidOperationException($"ETCD_DR_TEST_OCTET must be a number from 0 to 63, not '{value}'");
}
