using EtcdDr.Remote;

namespace EtcdDr.Topology.Runtimes;

/// <summary>
/// How long a runtime waits and how it polls. The defaults fit real masters: kubelet notices a
/// moved manifest within ~20 s and gives a container 30 s to stop; a member on a big data dir
/// can take minutes to open it. Tests swap the clock, the sleep and the nonce so a transcript is
/// the same on every run.
/// </summary>
public sealed record EtcdRuntimeOptions
{
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromMinutes(2);
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>`snapshot restore` of a multi-GiB snapshot, or the etcd image still to be pulled.</summary>
    public TimeSpan RestoreTimeout { get; init; } = TimeSpan.FromMinutes(20);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Waits between polls; tests advance a fake clock instead.</summary>
    public Func<TimeSpan, CancellationToken, Task> Sleep { get; init; } = (delay, ct) => Task.Delay(delay, ct);

    /// <summary>Makes temporary file names unique (random by default).</summary>
    public Func<string> Nonce { get; init; } = () => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));

    /// <summary>Opens a master's Docker engine (Kubespray's docker deployment): the real one forwards the
    /// engine's socket over SSH; tests hand in a recording fake.</summary>
    public Func<IRemoteHost, string, CancellationToken, Task<Remote.Docker.IDockerEngine>> DockerEngine { get; init; } = Remote.Docker.DockerEngine.ConnectAsync;

    public static readonly EtcdRuntimeOptions Default = new();
}
