namespace SafetyNotebooks.Data;

/// <summary>One input file of a corpus stage and its path relative to the input root (kept in the output layout).</summary>
public sealed record InputFile(string Path, string RelativePath)
{
    /// <summary>The split folder the file sits in (<c>train</c>, <c>test</c>, …), or null.</summary>
    public string? Split => InputFiles.SplitOf(RelativePath);
}

/// <summary>
/// The one input-discovery rule of every file stage (score, synth, tag, mix, data convert, export litdata): each
/// <c>--input</c> is a file or a folder searched recursively; hidden files and folders (<c>.safetynb-job</c>, journals)
/// are skipped; files are sorted ordinally. Relative paths are taken from the root: a single folder input is the root,
/// a single file's folder is the root, several inputs share their deepest common folder. Split folders
/// (<see cref="SplitFolders"/>) are part of the relative path, so every stage keeps <c>train/</c> and <c>test/</c> apart.
/// </summary>
public static class InputFiles
{
    /// <summary>Folder names that mark a split.</summary>
    public static IReadOnlyList<string> SplitFolders { get; } = ["train", "test", "validation", "val"];

    public static readonly string[] Parquet = [".parquet"];
    public static readonly string[] ParquetOrJsonl = [".parquet", ".jsonl"];

    /// <summary>Every file under <paramref name="paths"/> with one of <paramref name="extensions"/>; bad input when none or a path is missing.</summary>
    public static IReadOnlyList<InputFile> Find(IReadOnlyList<string> paths, IReadOnlyList<string> extensions, string option = "--input")
    {
        if (paths.Count == 0) throw new BadInputException("no input given", option);
        foreach (var p in paths)
            if (!Directory.Exists(p) && !File.Exists(p)) throw new BadInputException("no such file or folder", option, value: p);
        var files = Enumerate(paths, extensions);
        if (files.Count == 0)
            throw new BadInputException($"no {string.Join(" or ", extensions)} files found (folders are searched recursively)", option, value: string.Join(", ", paths));
        var root = Root(paths, files);
        return files.Select(f => new InputFile(f, System.IO.Path.GetRelativePath(root, f))).ToList();
    }

    /// <summary>The sorted full paths the rule finds (none for a missing path or an empty folder).</summary>
    public static IReadOnlyList<string> Enumerate(IReadOnlyList<string> paths, IReadOnlyList<string> extensions)
    {
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
                foreach (var f in Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories))
                {
                    var relative = System.IO.Path.GetRelativePath(p, f);
                    if (HasExtension(f, extensions) && !relative.Split(System.IO.Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')))
                        files.Add(System.IO.Path.GetFullPath(f));
                }
            else if (File.Exists(p)) files.Add(System.IO.Path.GetFullPath(p));
        }
        return files.ToList();
    }

    /// <summary>The folder relative paths are taken from (see the class summary).</summary>
    public static string Root(IReadOnlyList<string> paths, IReadOnlyList<string> files)
    {
        if (paths.Count == 1 && Directory.Exists(paths[0])) return System.IO.Path.GetFullPath(paths[0]);
        if (paths.Count == 1) return System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(paths[0]))!;
        return CommonFolder(files);
    }

    /// <summary>The root of a stage's <c>--input</c> values, for <see cref="ShardJobOptions.InputRoot"/>.</summary>
    public static string? RootOf(IReadOnlyList<string> paths) =>
        paths.Count != 1 ? null : Directory.Exists(paths[0]) ? paths[0] : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(paths[0]));

    /// <summary>The first folder of <paramref name="relativePath"/> named like a split, or null.</summary>
    public static string? SplitOf(string relativePath)
    {
        var parts = relativePath.Split('/', '\\');
        return parts.Take(parts.Length - 1).FirstOrDefault(p => SplitFolders.Contains(p, StringComparer.Ordinal));
    }

    static bool HasExtension(string file, IReadOnlyList<string> extensions) =>
        extensions.Any(e => file.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    static string CommonFolder(IReadOnlyList<string> files)
    {
        var common = System.IO.Path.GetDirectoryName(files[0])!;
        foreach (var f in files.Skip(1))
            while (!f.StartsWith(common.TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                common = System.IO.Path.GetDirectoryName(common) ?? "/";
        return common;
    }
}
