using System.Text;

namespace EtcdDr.Testing;

/// <summary>A file on a fake master: bytes, octal mode ("644"), "user:group" owner.</summary>
public sealed class FakeFile(byte[] content, string mode = "644", string owner = "root:root")
{
    public byte[] Content { get; set; } = content;
    public string Mode { get; set; } = mode;
    public string Owner { get; set; } = owner;
    public string Text => Encoding.UTF8.GetString(Content);
}

/// <summary>A directory on a fake master.</summary>
public sealed class FakeDirectory(string mode = "755", string owner = "root:root")
{
    public string Mode { get; set; } = mode;
    public string Owner { get; set; } = owner;
}

/// <summary>
/// The small file system of a fake master: absolute paths to files and directories. Parents are
/// created implicitly when a test lays files out; commands (mv, mkdir...) are as strict as coreutils.
/// </summary>
public sealed class FakeFileSystem
{
    public SortedDictionary<string, FakeFile> Files { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, FakeDirectory> Directories { get; } = new(StringComparer.Ordinal) { ["/"] = new() };

    public static string Normalize(string path) => path.Length > 1 ? path.TrimEnd('/') : path;

    public static string Parent(string path)
    {
        var slash = Normalize(path).LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    public static string BaseName(string path) => Normalize(path)[(Normalize(path).LastIndexOf('/') + 1)..];

    public bool IsFile(string path) => Files.ContainsKey(Normalize(path));
    public bool IsDirectory(string path) => Directories.ContainsKey(Normalize(path));
    public bool Exists(string path) => IsFile(path) || IsDirectory(path);

    /// <summary>Lays a file out (test setup): parents are created.</summary>
    public FakeFile AddFile(string path, string content, string mode = "644", string owner = "root:root") =>
        AddFile(path, Encoding.UTF8.GetBytes(content), mode, owner);

    public FakeFile AddFile(string path, byte[] content, string mode = "644", string owner = "root:root")
    {
        path = Normalize(path);
        AddDirectory(Parent(path));
        return Files[path] = new FakeFile(content, mode, owner);
    }

    /// <summary>Lays a directory out (test setup), with its parents.</summary>
    public void AddDirectory(string path, string mode = "755", string owner = "root:root")
    {
        path = Normalize(path);
        if (path != "/" && !Directories.ContainsKey(Parent(path)))
            AddDirectory(Parent(path));
        Directories.TryAdd(path, new FakeDirectory(mode, owner));
    }

    public string Text(string path) => Files.TryGetValue(Normalize(path), out var file)
        ? file.Text
        : throw new FileNotFoundException($"fake master has no file {path}");

    /// <summary>The direct entries of a directory, by name, sorted.</summary>
    public IReadOnlyList<string> Entries(string directory)
    {
        var prefix = Normalize(directory) == "/" ? "/" : Normalize(directory) + "/";
        return Files.Keys.Concat(Directories.Keys)
            .Where(p => p.StartsWith(prefix, StringComparison.Ordinal) && p.Length > prefix.Length && !p[prefix.Length..].Contains('/'))
            .Select(p => p[prefix.Length..]).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Every path at or below <paramref name="path"/> (files and directories).</summary>
    public IReadOnlyList<string> Tree(string path)
    {
        path = Normalize(path);
        var prefix = path == "/" ? "/" : path + "/";
        return Files.Keys.Concat(Directories.Keys).Where(p => p == path || p.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    /// <summary>rename(2): moves a file or a whole directory tree.</summary>
    public void Rename(string from, string to)
    {
        from = Normalize(from);
        to = Normalize(to);
        foreach (var p in Tree(from).OrderBy(p => p.Length))
        {
            var target = to + p[from.Length..];
            if (Files.Remove(p, out var file))
                Files[target] = file;
            else if (Directories.Remove(p, out var dir))
                Directories[target] = dir;
        }
    }

    /// <summary>A readable listing (path, kind, mode, owner, and a content hash) for golden comparisons.</summary>
    public string Describe(string under = "/")
    {
        var text = new StringBuilder();
        foreach (var p in Tree(under).Order(StringComparer.Ordinal))
        {
            if (Directories.TryGetValue(p, out var d))
                text.Append($"{p}/ {d.Mode} {d.Owner}\n");
            else if (Files.TryGetValue(p, out var f))
                text.Append($"{p} {f.Mode} {f.Owner} {f.Content.Length}B\n");
        }
        return text.ToString();
    }
}
