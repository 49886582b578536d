using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace EtcdDr.IntegrationTests.Infrastructure;

/// <summary>Where one etcd member listens.</summary>
public sealed record MemberEndpoint(IPAddress Address, int ClientPort, int PeerPort);

/// <summary>
/// Gives every test cluster its own loopback addresses (all of 127.0.0.0/8 reaches lo on Linux, no
/// setup needed): members of one cluster get 127.A.B.1, .2, .3 with a random A.B block, so clusters of
/// parallel tests, and of other test runs on the same machine, do not collide. The standard ports
/// 2379/2380 are used when free, so URLs look like production; each port is probed by binding it first.
/// 127.0.0.x is left alone: the local lab lives there.
/// </summary>
public static class LoopbackAddresses
{
    private const int ClientPort = 2379;
    private const int PeerPort = 2380;
    private static readonly ConcurrentDictionary<(int, int), bool> Handed = new();

    public static IReadOnlyList<MemberEndpoint> AllocateCluster(int memberCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(memberCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(memberCount, 250);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var block = (RandomNumberGenerator.GetInt32(64, 255), RandomNumberGenerator.GetInt32(1, 255));
            if (!Handed.TryAdd(block, true))
                continue;
            var endpoints = Enumerable.Range(1, memberCount)
                .Select(host => new MemberEndpoint(new IPAddress([127, (byte)block.Item1, (byte)block.Item2, (byte)host]), ClientPort, PeerPort))
                .ToList();
            if (endpoints.All(e => IsFree(e.Address, e.ClientPort) && IsFree(e.Address, e.PeerPort)))
                return endpoints;
        }
        throw new InvalidOperationException("Could not find a free loopback address block for a test etcd cluster after 50 tries.");
    }

    /// <summary>A free port on <paramref name="address"/> chosen by the kernel (bind to 0, read, release).</summary>
    public static int FreePort(IPAddress address)
    {
        using var listener = new TcpListener(address, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            using var listener = new TcpListener(address, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
