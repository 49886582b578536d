using System.Formats.Tar;

namespace EtcdDr.Lab;

/// <summary>
/// What Kubespray's etcd role leaves with etcd_deployment_type: docker, on top of the host layout's
/// certificates and /etc/etcd.env: the wrapper script /usr/local/bin/etcd running `docker run` of
/// quay.io/coreos/etcd (roles/etcd/templates/etcd.j2), the unit around it (etcd-docker.service.j2),
/// and a docker.service for the master's own dockerd. No etcdctl on the host: the lab hides the
/// host's (as --no-host-etcdctl does) so the tool must go through the engine.
/// </summary>
public static class KubesprayDockerLayout
{
    public const string Wrapper = "/usr/local/bin/etcd";
    public const string DockerUnit = "/etc/systemd/system/docker.service";
    public const string Socket = "/var/run/docker.sock";
    public const string DockerCli = "/usr/bin/docker";
    public const string ImageRepository = "quay.io/coreos/etcd";

    /// <summary>Tagged with the host etcd's version, as Kubespray's etcd_image_tag names the release. Read on
    /// the host only: inside a master `etcd` on PATH is the wrapper script, so the masters read
    /// <see cref="ImageReference"/> from the state folder instead.</summary>
    public static string Image => $"{ImageRepository}:v{LabTools.EtcdVersion()}";

    /// <summary>The file beside the tarball that names the image, for the masters' inits.</summary>
    public static string ImageReference(LabPaths paths) => Path.Combine(paths.Root, "images", "etcd-image");

    /// <summary>Kubespray's etcd_member_name: etcd1, etcd2, ... (the container's --name).</summary>
    public static string ContainerName(LabMaster master) => "etcd" + master.Name["master-".Length..];

    public static void WriteConfig(LabSpec spec, LabMaster master, MasterPaths paths, string? cgroupParent)
    {
        LabFiles.Write(paths.Inside(KubesprayLayout.EnvFile), KubesprayLayout.EnvironmentFile(spec, master), LabFiles.Public);
        LabFiles.Write(paths.Inside(KubesprayLayout.Unit), UnitFile(master), LabFiles.Public);
        LabFiles.Write(paths.Inside(Wrapper), WrapperScript(master), LabFiles.Executable);
        LabFiles.Write(paths.Inside(DockerUnit), DockerUnitFile(paths, cgroupParent), LabFiles.Public);
        LabFiles.Symlink(paths.Inside(MasterLayout.WantsDirectory + "/docker.service"), DockerUnit);
        Directory.CreateDirectory(DataRoot(paths));
    }

    /// <summary>dockerd's data root: in the master's state folder on the host's own file system,
    /// never under the /var/lib overlay (overlay2 cannot sit on overlayfs).</summary>
    public static string DataRoot(MasterPaths paths) => Path.Combine(paths.Root, "docker");

    /// <summary>The rootfs tarball every master's dockerd imports as the etcd image (built once per lab).</summary>
    public static string ImageTarball(LabPaths paths) => Path.Combine(paths.Root, "images", "etcd-rootfs.tar");

    /// <summary>
    /// Kubespray's etcd.j2 with its defaults, plus --pull=never: no registry is reachable here, and the
    /// lab must never try one (network traffic stays on loopback). --net=host as there: the member listens on the master's
    /// address; the cert and data dirs are bound at the same paths.
    /// </summary>
    public static string WrapperScript(LabMaster master) => $$"""
        #!/bin/bash
        {{DockerCli}} run \
          --restart=on-failure:5 \
          --env-file=/etc/etcd.env \
          --net=host \
          -v /etc/ssl/certs:/etc/ssl/certs:ro \
          -v {{KubesprayLayout.CertDirectory}}:{{KubesprayLayout.CertDirectory}}:ro \
          -v /var/lib/etcd:/var/lib/etcd:rw \
          --memory=512M \
          --blkio-weight=1000 \
          --name={{ContainerName(master)}} \
          --pull=never \
          {{Image}} \
          /usr/local/bin/etcd \
          "$@"

        """;

    /// <summary>Kubespray's etcd-docker.service.j2: ExecStartPre removes a container left over, ExecStop stops it.</summary>
    public static string UnitFile(LabMaster master) => $"""
        [Unit]
        Description=etcd docker wrapper
        Wants=docker.socket
        After=docker.service

        [Service]
        User=root
        PermissionsStartOnly=true
        EnvironmentFile=-/etc/etcd.env
        ExecStart={Wrapper}
        ExecStartPre=-{DockerCli} rm -f {ContainerName(master)}
        ExecStop={DockerCli} stop {ContainerName(master)}
        Restart=always
        RestartSec=15s
        TimeoutStartSec=30s

        [Install]
        WantedBy=multi-user.target

        """;

    /// <summary>
    /// The master's dockerd. It shares the host's network namespace with every other master, so it
    /// touches no iptables and makes no bridge (etcd runs with --net=host); its socket, pid file and
    /// exec root are in the master's own tmpfs /run. Containers go below the master's cgroup so that
    /// `lab down`, lose-host and cut-off's cgroup match reach etcd inside them as well.
    /// </summary>
    public static string DockerUnitFile(MasterPaths paths, string? cgroupParent) => $"""
        [Unit]
        Description=Docker Application Container Engine (etcd-dr lab master)

        [Service]
        ExecStart=/usr/sbin/dockerd -H unix://{Socket} --data-root {DataRoot(paths)} --iptables=false --ip-masq=false --ip-forward=false --bridge=none{(cgroupParent is null ? "" : " --cgroup-parent=/" + cgroupParent)}
        Restart=always
        RestartSec=2s
        TimeoutStopSec=20s

        [Install]
        WantedBy=multi-user.target

        """;

    /// <summary>
    /// A root file system holding the host's etcd and etcdctl in /usr/local/bin (where the etcd image
    /// has them), /bin/sh, and the shared libraries all three need, as ldd names them: what `docker
    /// import` turns into the etcd image, since no registry is reachable here.
    /// </summary>
    public static async Task WriteImageTarballAsync(LabPaths paths, CancellationToken ct)
    {
        var tarball = ImageTarball(paths);
        Directory.CreateDirectory(Path.GetDirectoryName(tarball)!);
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["usr/local/bin/etcd"] = LabTools.Require("etcd"),
            ["usr/local/bin/etcdctl"] = LabTools.Require("etcdctl"),
            ["bin/sh"] = LabTools.Find("dash") ?? LabTools.Require("sh"),
        };
        foreach (var program in files.Values.ToList())
        {
            foreach (var library in await SharedLibrariesAsync(program, ct).ConfigureAwait(false))
                files[library.TrimStart('/')] = library;
        }
        await using var output = File.Create(tarball + ".part");
        await using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "tmp/") { Mode = (UnixFileMode)Convert.ToInt32("1777", 8) }, ct).ConfigureAwait(false);
            foreach (var dir in new[] { "etc/", "var/lib/etcd/" })
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, dir) { Mode = (UnixFileMode)Convert.ToInt32("755", 8) }, ct).ConfigureAwait(false);
            foreach (var (name, source) in files)
            {
                // Regular files only: /lib64/ld-linux-x86-64.so.2 is a symlink into /lib, which the
                // image would not resolve, so the link's target is written under the link's name.
                var real = new FileInfo(source).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? source;
                await using var content = File.OpenRead(real);
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = File.GetUnixFileMode(real), DataStream = content };
                await tar.WriteEntryAsync(entry, ct).ConfigureAwait(false);
            }
        }
        output.Close();
        File.Move(tarball + ".part", tarball, overwrite: true);
        await File.WriteAllTextAsync(ImageReference(paths), Image, ct).ConfigureAwait(false);
    }

    /// <summary>"libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the loader "/lib64/ld-linux-x86-64.so.2 (0x...)".</summary>
    private static async Task<IReadOnlyList<string>> SharedLibrariesAsync(string program, CancellationToken ct)
    {
        var result = await Remote.ProcessRunner.RunAsync(LabTools.Require("ldd"), [program], new Remote.ProcessRunOptions { Timeout = TimeSpan.FromSeconds(30) }, ct).ConfigureAwait(false);
        if (result.ExitCode != 0)
            return []; // statically linked: "not a dynamic executable"
        var libraries = new List<string>();
        foreach (var line in result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var path = words.Length >= 3 && words[1] == "=>" ? words[2] : words[0];
            if (path.StartsWith('/') && File.Exists(path))
                libraries.Add(path);
        }
        return libraries;
    }

    /// <summary>Inside a master, at boot: `docker import` of the tarball unless the image is there.</summary>
    public static string[] ImportArguments(LabPaths paths, string image) =>
        ["import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ImageTarball(paths), image];
}
