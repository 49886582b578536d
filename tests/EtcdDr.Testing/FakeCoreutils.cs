using System.Globalization;
using System.Text;
using EtcdDr.Remote;

namespace EtcdDr.Testing;

/// <summary>
/// The file commands of a fake master, acting on a <see cref="FakeFileSystem"/> with GNU coreutils'
/// exit codes and messages. Returns null for a command it does not know.
/// </summary>
public sealed class FakeCoreutils(FakeFileSystem fs)
{
    public ProcessResult? Run(IReadOnlyList<string> argv, byte[]? stdin)
    {
        if (argv.Count == 0)
            return null;
        var (flags, operands) = Split(argv.Skip(1));
        return argv[0] switch
        {
            "mv" => Mv(flags, operands),
            "install" => Install(argv.Skip(1).ToList(), stdin),
            "mkdir" => Mkdir(argv.Skip(1).ToList()),
            "chown" => Chown(flags, operands),
            "chmod" => Chmod(operands),
            "cat" => Cat(operands),
            "sha256sum" => Sha256sum(operands),
            "test" => Test(argv.Skip(1).ToList()),
            "ls" => Ls(flags, operands),
            "rm" => Rm(flags, operands),
            "rmdir" => Rmdir(operands),
            "stat" => Stat(argv.Skip(1).ToList()),
            _ => null,
        };
    }

    private static ProcessResult Ok(string stdout = "") => new(0, stdout, "");
    private static ProcessResult Fail(int exit, string stderr) => new(exit, "", stderr + "\n");

    /// <summary>Short flags ("-fT" = f, T) and operands, "--" ending the flags.</summary>
    private static (HashSet<char> Flags, List<string> Operands) Split(IEnumerable<string> args)
    {
        var flags = new HashSet<char>();
        var operands = new List<string>();
        var ended = false;
        foreach (var a in args)
        {
            if (!ended && a == "--")
                ended = true;
            else if (!ended && a.Length > 1 && a[0] == '-' && a[1] != '-')
                flags.UnionWith(a[1..]);
            else
                operands.Add(a);
        }
        return (flags, operands);
    }

    private ProcessResult Mv(HashSet<char> flags, List<string> operands)
    {
        if (operands.Count != 2)
            return Fail(1, "mv: the fake takes exactly one source and one target");
        var (from, to) = (FakeFileSystem.Normalize(operands[0]), FakeFileSystem.Normalize(operands[1]));
        if (!fs.Exists(from))
            return Fail(1, $"mv: cannot stat '{from}': No such file or directory");
        if (!flags.Contains('T') && fs.IsDirectory(to))
            to = (to == "/" ? "" : to) + "/" + FakeFileSystem.BaseName(from);
        if (!fs.IsDirectory(FakeFileSystem.Parent(to)))
            return Fail(1, $"mv: cannot move '{from}' to '{to}': No such file or directory");
        if (to == from || to.StartsWith(from + "/", StringComparison.Ordinal))
            return Fail(1, $"mv: cannot move '{from}' to a subdirectory of itself, '{to}'");
        if (fs.IsDirectory(to))
        {
            if (!fs.IsDirectory(from))
                return Fail(1, $"mv: cannot overwrite directory '{to}' with non-directory");
            if (fs.Entries(to).Count > 0)
                return Fail(1, $"mv: cannot move '{from}' to '{to}': Directory not empty");
            fs.Directories.Remove(to);
        }
        else if (fs.IsFile(to))
        {
            if (fs.IsDirectory(from))
                return Fail(1, $"mv: cannot overwrite non-directory '{to}' with directory '{from}'");
            fs.Files.Remove(to);
        }
        fs.Rename(from, to);
        return Ok();
    }

    /// <summary>install [-m MODE] [-o USER] [-g GROUP] /dev/stdin TARGET, or install -d [-m MODE] DIR.</summary>
    private ProcessResult Install(List<string> args, byte[]? stdin)
    {
        string mode = "755", user = "root", group = "root";
        var directory = false;
        var operands = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-m": mode = args[++i].TrimStart('0').PadLeft(3, '0'); break;
                case "-o": user = args[++i]; break;
                case "-g": group = args[++i]; break;
                case "-d": directory = true; break;
                case "--": break;
                default: operands.Add(args[i]); break;
            }
        }
        if (directory)
        {
            foreach (var dir in operands)
                fs.AddDirectory(dir, mode, $"{user}:{group}");
            return Ok();
        }
        if (operands is not [var source, var target])
            return Fail(1, "install: the fake takes one source and one target");
        byte[] content;
        if (source == "/dev/stdin")
            content = stdin ?? [];
        else if (fs.Files.TryGetValue(FakeFileSystem.Normalize(source), out var file))
            content = file.Content;
        else
            return Fail(1, $"install: cannot stat '{source}': No such file or directory");
        if (!fs.IsDirectory(FakeFileSystem.Parent(target)))
            return Fail(1, $"install: cannot create regular file '{target}': No such file or directory");
        if (fs.IsDirectory(target))
            return Fail(1, $"install: the fake does not install into a directory ('{target}')");
        fs.Files[FakeFileSystem.Normalize(target)] = new FakeFile(content, mode, $"{user}:{group}");
        return Ok();
    }

    private ProcessResult Mkdir(List<string> args)
    {
        var parents = false;
        var mode = "755";
        var operands = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "-p": parents = true; break;
                case "-m": mode = args[++i].TrimStart('0').PadLeft(3, '0'); break;
                case "--": break;
                default: operands.Add(args[i]); break;
            }
        }
        foreach (var dir in operands)
        {
            if (fs.IsFile(dir))
                return Fail(1, $"mkdir: cannot create directory '{dir}': File exists");
            if (fs.IsDirectory(dir))
            {
                if (!parents)
                    return Fail(1, $"mkdir: cannot create directory '{dir}': File exists");
                continue;
            }
            if (!parents && !fs.IsDirectory(FakeFileSystem.Parent(dir)))
                return Fail(1, $"mkdir: cannot create directory '{dir}': No such file or directory");
            fs.AddDirectory(dir);
            fs.Directories[FakeFileSystem.Normalize(dir)].Mode = mode;
        }
        return Ok();
    }

    private ProcessResult Chown(HashSet<char> flags, List<string> operands)
    {
        if (operands.Count < 2)
            return Fail(1, "chown: missing operand");
        var owner = operands[0].Contains(':', StringComparison.Ordinal) ? operands[0] : operands[0] + ":root";
        foreach (var path in operands.Skip(1))
        {
            if (!fs.Exists(path))
                return Fail(1, $"chown: cannot access '{path}': No such file or directory");
            foreach (var p in flags.Contains('R') ? fs.Tree(path) : [FakeFileSystem.Normalize(path)])
            {
                if (fs.Files.TryGetValue(p, out var f))
                    f.Owner = owner;
                else
                    fs.Directories[p].Owner = owner;
            }
        }
        return Ok();
    }

    private ProcessResult Chmod(List<string> operands)
    {
        if (operands is not [var mode, var path])
            return Fail(1, "chmod: the fake takes MODE PATH");
        if (fs.Files.TryGetValue(FakeFileSystem.Normalize(path), out var f))
            f.Mode = mode.TrimStart('0').PadLeft(3, '0');
        else if (fs.Directories.TryGetValue(FakeFileSystem.Normalize(path), out var d))
            d.Mode = mode.TrimStart('0').PadLeft(3, '0');
        else
            return Fail(1, $"chmod: cannot access '{path}': No such file or directory");
        return Ok();
    }

    private ProcessResult Sha256sum(List<string> operands)
    {
        // Like GNU sha256sum: every file it can read is hashed; a missing one is named on stderr and the exit is 1.
        var text = new StringBuilder();
        var errors = new StringBuilder();
        foreach (var path in operands)
        {
            if (fs.IsDirectory(path))
                errors.Append(CultureInfo.InvariantCulture, $"sha256sum: {path}: Is a directory\n");
            else if (!fs.Files.TryGetValue(FakeFileSystem.Normalize(path), out var f))
                errors.Append(CultureInfo.InvariantCulture, $"sha256sum: {path}: No such file or directory\n");
            else
                text.Append(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(f.Content))).Append("  ").Append(path).Append('\n');
        }
        return new ProcessResult(errors.Length > 0 ? 1 : 0, text.ToString(), errors.ToString());
    }

    private ProcessResult Cat(List<string> operands)
    {
        var text = new StringBuilder();
        foreach (var path in operands)
        {
            if (fs.IsDirectory(path))
                return Fail(1, $"cat: {path}: Is a directory");
            if (!fs.Files.TryGetValue(FakeFileSystem.Normalize(path), out var f))
                return Fail(1, $"cat: {path}: No such file or directory");
            text.Append(f.Text);
        }
        return Ok(text.ToString());
    }

    private ProcessResult Test(List<string> args) => args switch
    {
        ["-e", var p] => new ProcessResult(fs.Exists(p) ? 0 : 1, "", ""),
        ["-d", var p] => new ProcessResult(fs.IsDirectory(p) ? 0 : 1, "", ""),
        ["-f", var p] => new ProcessResult(fs.IsFile(p) ? 0 : 1, "", ""),
        ["-s", var p] => new ProcessResult(fs.Files.TryGetValue(FakeFileSystem.Normalize(p), out var f) && f.Content.Length > 0 ? 0 : 1, "", ""),
        _ => Fail(2, $"test: the fake does not know {string.Join(' ', args)}"),
    };

    private ProcessResult Ls(HashSet<char> flags, List<string> operands)
    {
        if (flags.Contains('d'))
        {
            var present = operands.Where(fs.Exists).ToList();
            var errors = string.Concat(operands.Where(p => !fs.Exists(p)).Select(p => $"ls: cannot access '{p}': No such file or directory\n"));
            return new ProcessResult(present.Count == operands.Count ? 0 : 2, string.Concat(present.Select(p => p + "\n")), errors);
        }
        var output = new StringBuilder();
        foreach (var path in operands)
        {
            if (fs.IsFile(path))
                output.Append(path).Append('\n');
            else if (fs.IsDirectory(path))
                output.Append(string.Concat(fs.Entries(path).Where(e => flags.Contains('A') || flags.Contains('a') || !e.StartsWith('.')).Select(e => e + "\n")));
            else
                return Fail(2, $"ls: cannot access '{path}': No such file or directory");
        }
        return Ok(output.ToString());
    }

    private ProcessResult Rm(HashSet<char> flags, List<string> operands)
    {
        if (flags.Contains('r') || flags.Contains('R'))
            return Fail(1, "rm: the fake never removes trees (etcd-dr must not either)");
        foreach (var path in operands)
        {
            if (fs.IsDirectory(path))
                return Fail(1, $"rm: cannot remove '{path}': Is a directory");
            if (!fs.Files.Remove(FakeFileSystem.Normalize(path)) && !flags.Contains('f'))
                return Fail(1, $"rm: cannot remove '{path}': No such file or directory");
        }
        return Ok();
    }

    private ProcessResult Rmdir(List<string> operands)
    {
        foreach (var path in operands)
        {
            if (!fs.IsDirectory(path))
                return Fail(1, $"rmdir: failed to remove '{path}': No such file or directory");
            if (fs.Entries(path).Count > 0)
                return Fail(1, $"rmdir: failed to remove '{path}': Directory not empty");
            fs.Directories.Remove(FakeFileSystem.Normalize(path));
        }
        return Ok();
    }

    /// <summary>stat -c FORMAT [--] PATH with %a (octal mode), %U, %G, %F.</summary>
    private ProcessResult Stat(List<string> args)
    {
        var format = args.SkipWhile(a => a != "-c").Skip(1).FirstOrDefault();
        var path = args.LastOrDefault();
        if (format is null || path is null || path == format)
            return Fail(1, "stat: the fake takes -c FORMAT PATH");
        string mode, owner, kind;
        if (fs.Files.TryGetValue(FakeFileSystem.Normalize(path), out var f))
            (mode, owner, kind) = (f.Mode, f.Owner, f.Content.Length == 0 ? "regular empty file" : "regular file");
        else if (fs.Directories.TryGetValue(FakeFileSystem.Normalize(path), out var d))
            (mode, owner, kind) = (d.Mode, d.Owner, "directory");
        else
            return Fail(1, $"stat: cannot statx '{path}': No such file or directory");
        var parts = owner.Split(':');
        return Ok(format.Replace("%a", mode, StringComparison.Ordinal).Replace("%U", parts[0], StringComparison.Ordinal)
            .Replace("%G", parts.Length > 1 ? parts[1] : parts[0], StringComparison.Ordinal).Replace("%F", kind, StringComparison.Ordinal) + "\n");
    }
}
