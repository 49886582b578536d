using System.Runtime.InteropServices;

namespace EtcdDr.Lab;

/// <summary>
/// The argv prefix that runs this very etcd-dr again: the apphost or single-file executable when
/// that is what runs, else `dotnet etcd-dr.dll` (under `dotnet run`, or inside the test host, where
/// the running executable is not etcd-dr at all). The masters' init and the stand-in systemctl are
/// hidden `etcd-dr lab` subcommands started this way.
/// </summary>
public static class SelfInvocation
{
    public static IReadOnlyList<string> Argv()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable runs");
        if (Path.GetFileName(process) == "etcd-dr")
            return [process];
        // Not Assembly.Location: it is empty in a single-file build. The dll sits in the base
        // directory under dotnet run and in a test host's bin folder alike.
        var assembly = Path.Combine(AppContext.BaseDirectory, "etcd-dr.dll");
        if (!File.Exists(assembly))
            throw new InvalidOperationException("etcd-dr runs as a single file under another name; run the lab through the etcd-dr executable");
        return [DotnetHost(), assembly];
    }

    private static string DotnetHost()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/<version>/ -> .../dotnet/dotnet
        var runtime = RuntimeEnvironment.GetRuntimeDirectory().TrimEnd('/');
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(runtime)));
        var candidate = root is null ? null : Path.Combine(root, "dotnet");
        if (candidate is not null && File.Exists(candidate))
            return candidate;
        return Path.GetFileName(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "/usr/bin/dotnet";
    }
}
