using System.CommandLine;

namespace EtcdDr.Cli;

public static class VersionCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("version", "Print the etcd-dr version");
        command.SetAction(_ => output.WriteLine($"etcd-dr {ToolVersion.Current}"));
        return command;
    }
}
