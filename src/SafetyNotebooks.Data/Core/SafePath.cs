namespace SafetyNotebooks;

/// <summary>Joins untrusted relative paths (from manifests, index files, archives) without letting them escape their folder.</summary>
public static class SafePath
{
    /// <summary>Returns <paramref name="root"/>/<paramref name="relative"/>, or throws <see cref="BadInputException"/> if the result lies outside <paramref name="root"/>.</summary>
    public static string Combine(string root, string relative, string? source = null)
    {
        if (string.IsNullOrEmpty(relative))
            throw new BadInputException("empty path", source, "path", relative);
        if (Path.IsPathRooted(relative))
            throw new BadInputException("absolute paths are not allowed here", source, "path", relative);
        var fullRoot = Path.GetFullPath(root);
        var rootWithSep = fullRoot.EndsWith(Path.DirectorySeparatorChar) ? fullRoot : fullRoot + Path.DirectorySeparatorChar;
        var full = Path.GetFullPath(Path.Combine(fullRoot, relative));
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal) && full != fullRoot)
            throw new BadInputException($"path escapes its folder {fullRoot}", source, "path", relative);
        return full;
    }

    /// <summary>The absolute path with every symbolic link (of the entry and of each folder above it) resolved.</summary>
    public static string Real(string path, int hops = 0)
    {
        var full = Path.GetFullPath(path);
        var parent = Path.GetDirectoryName(full);
        var real = parent is null ? full : Path.Combine(Real(parent, hops), Path.GetFileName(full));
        FileSystemInfo info = Directory.Exists(real) ? new DirectoryInfo(real) : new FileInfo(real);
        if (info.LinkTarget is null) return real;
        if (hops > 40) throw new BadInputException("too many levels of symbolic links", path);
        return Real(info.ResolveLinkTarget(returnFinalTarget: false)!.FullName, hops + 1);
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or lies below it (both absolute).</summary>
    public static bool IsWithin(string folder, string path)
    {
        var f = folder.TrimEnd(Path.DirectorySeparatorChar);
        return path == f || path.StartsWith(f + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
