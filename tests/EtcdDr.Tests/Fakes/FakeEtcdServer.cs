using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace EtcdDr.Tests.Fakes;

/// <summary>How the fake answers a Snapshot call.</summary>
public enum SnapshotBehaviour
{
    Good,
    FlipBitInBlob,
    CutMidStream,
    NoTrailerStatus,
    ErrorStatus,
    /// <summary>The first message's header field is not a valid ResponseHeader.</summary>
    MalformedHeader,
    /// <summary>The first message's blob claims a length above int.MaxValue.</summary>
    HugeLength,
    /// <summary>Takes the call and never sends the response headers.</summary>
    HangBeforeHeaders,
}

/// <summary>
/// A tiny etcd gRPC server on 127.0.0.1 (h2c) for fault injection in unit tests: Status, MemberList
/// and Snapshot, with a snapshot built from random bytes and a correct (or deliberately wrong)
/// SHA-256 trailer. Real etcd is used by the integration tests.
/// </summary>
public sealed class FakeEtcdServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public byte[] Db { get; }
    public SnapshotBehaviour Snapshot { get; set; } = SnapshotBehaviour.Good;
    public ulong MemberId { get; init; } = 0xabc;
    public ulong LeaderId { get; set; } = 0xabc;
    public ulong RaftIndex { get; set; } = 100;
    public int SnapshotCalls;
    /// <summary>Status and MemberList answer with bytes that do not parse.</summary>
    public bool MalformedUnary { get; set; }
    public Uri Endpoint { get; private set; } = null!;

    private FakeEtcdServer(byte[] db)
    {
        Db = db;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.MapPost("/etcdserverpb.Maintenance/Status", ctx => Unary(ctx, new StatusResponse
        {
            Header = new ResponseHeader { ClusterId = 0x1, MemberId = MemberId, Revision = 42, RaftTerm = 3 },
            Version = "3.4.99", DbSize = Db.Length, Leader = LeaderId, RaftIndex = RaftIndex, RaftTerm = 3,
        }));
        _app.MapPost("/etcdserverpb.Cluster/MemberList", ctx => Unary(ctx, new MemberListResponse
        {
            Header = new ResponseHeader { ClusterId = 0x1, MemberId = MemberId },
            Members = { new Member { ID = MemberId, Name = "fake" } },
        }));
        _app.MapPost("/etcdserverpb.Maintenance/Snapshot", SnapshotAsync);
    }

    public static async Task<FakeEtcdServer> StartAsync(int dbSize = 3 * 32 * 1024 + 100)
    {
        // bbolt's magic at offset 16 so that verify's format check passes; the rest random.
        var db = RandomNumberGenerator.GetBytes(dbSize);
        BinaryPrimitives.WriteUInt32LittleEndian(db.AsSpan(16), 0xED0CDAED);
        var server = new FakeEtcdServer(db);
        await server._app.StartAsync();
        server.Endpoint = new Uri(server._app.Urls.First());
        return server;
    }

    private async Task Unary(HttpContext ctx, IMessage message)
    {
        ctx.Response.ContentType = "application/grpc";
        // Field 1 announces 5 bytes and only 1 follows: a truncated message.
        await ctx.Response.Body.WriteAsync(MalformedUnary ? FrameRaw([0x0a, 0x05, 0x01]) : Frame(message));
        ctx.Response.AppendTrailer("grpc-status", "0");
    }

    private async Task SnapshotAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref SnapshotCalls);
        if (Snapshot == SnapshotBehaviour.HangBeforeHeaders)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // the client gave up, as it should
            }
            return;
        }
        ctx.Response.ContentType = "application/grpc";
        if (Snapshot == SnapshotBehaviour.MalformedHeader)
        {
            // Field 1 (header), 3 bytes that are a truncated varint inside the header.
            await ctx.Response.Body.WriteAsync(FrameRaw([0x0a, 0x03, 0xff, 0xff, 0xff]));
            ctx.Response.AppendTrailer("grpc-status", "0");
            return;
        }
        if (Snapshot == SnapshotBehaviour.HugeLength)
        {
            // Field 3 (blob) with a length of 2^32, then a few bytes.
            await ctx.Response.Body.WriteAsync(FrameRaw([0x1a, 0x80, 0x80, 0x80, 0x80, 0x10, 1, 2, 3]));
            ctx.Response.AppendTrailer("grpc-status", "0");
            return;
        }
        if (Snapshot == SnapshotBehaviour.ErrorStatus)
        {
            ctx.Response.AppendTrailer("grpc-status", "14");
            ctx.Response.AppendTrailer("grpc-message", Uri.EscapeDataString("etcdserver: not capable"));
            return;
        }
        var trailer = SHA256.HashData(Db);
        var sent = 0;
        while (sent < Db.Length)
        {
            var n = Math.Min(32 * 1024, Db.Length - sent);
            var blob = Db.AsSpan(sent, n).ToArray();
            if (Snapshot == SnapshotBehaviour.FlipBitInBlob && sent == 0)
                blob[100] ^= 0x04;
            sent += n;
            await ctx.Response.Body.WriteAsync(Frame(new SnapshotResponse { RemainingBytes = (ulong)(Db.Length - sent), Blob = ByteString.CopyFrom(blob) }));
            await ctx.Response.Body.FlushAsync();
            if (Snapshot == SnapshotBehaviour.CutMidStream)
            {
                ctx.Abort();
                return;
            }
        }
        await ctx.Response.Body.WriteAsync(Frame(new SnapshotResponse { Blob = ByteString.CopyFrom(trailer) }));
        if (Snapshot != SnapshotBehaviour.NoTrailerStatus)
            ctx.Response.AppendTrailer("grpc-status", "0");
        else
            ctx.Abort();
    }

    public static byte[] Frame(IMessage message) => FrameRaw(message.ToByteArray());

    public static byte[] FrameRaw(byte[] body)
    {
        var framed = new byte[5 + body.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)body.Length);
        body.CopyTo(framed, 5);
        return framed;
    }

    /// <summary>What a good snapshot file holds: the db and its SHA-256.</summary>
    public byte[] ExpectedFile() => [.. Db, .. SHA256.HashData(Db)];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
