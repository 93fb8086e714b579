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
}
