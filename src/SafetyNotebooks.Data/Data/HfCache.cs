using System.Text.RegularExpressions;

namespace SafetyNotebooks.Data;

/// <summary>
/// The standard Hugging Face cache layout, so files downloaded with <c>huggingface-cli</c> or <c>datasets</c> are used
/// as they are: <c>$HF_HUB_CACHE</c> (default <c>$HF_HOME/hub</c>, default <c>~/.cache/huggingface/hub</c>) /
/// <c>datasets--ORG--NAME</c> or <c>models--ORG--NAME</c> / <c>snapshots/COMMIT/PATH</c>, with <c>refs/BRANCH</c> holding
/// the commit of a branch and <c>blobs/SHA256</c> the content.
/// </summary>
public sealed record HfCache(string Root)
{
    /// <summary>The cache chosen by HF_HUB_CACHE / HF_HOME (read from <paramref name="env"/>, default: the process environment).</summary>
    public static HfCache FromEnvironment(Func<string, string?>? env = null)
    {
        env ??= Environment.GetEnvironmentVariable;
        if (env("HF_HUB_CACHE") is { Length: > 0 } hub) return new HfCache(Path.GetFullPath(hub));
        var home = env("HF_HOME") is { Length: > 0 } h ? h
            : Path.Combine(env("XDG_CACHE_HOME") is { Length: > 0 } x ? x : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "huggingface");
        return new HfCache(Path.GetFullPath(Path.Combine(home, "hub")));
    }

    /// <summary><c>ROOT/datasets--org--name</c> or <c>ROOT/models--org--name</c>.</summary>
    public string RepoFolder(string repoId, string kind) =>
        Path.Combine(Root, $"{(kind == Manifest.ModelKind ? "models" : "datasets")}--{repoId.Replace("/", "--")}");

    /// <summary>
    /// The snapshot folder for a revision (branch name via <c>refs/</c>, full or abbreviated commit), or null when not cached.
    /// A ref's content, a revision and every snapshot must name a folder inside the cache: a <c>refs/main</c> holding
    /// <c>../../elsewhere</c>, or a snapshot linked outside the cache, is refused.
    /// </summary>
    public string? Snapshot(string repoId, string kind, string revision)
    {
        var repo = RepoFolder(repoId, kind);
        var snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        var refFile = SafePath.Combine(Path.Combine(repo, "refs"), revision, "revision");
        if (File.Exists(refFile))
        {
            var commit = CommitName(File.ReadAllText(refFile).Trim(), refFile);
            var viaRef = Path.Combine(snapshots, commit);
            if (Directory.Exists(viaRef)) return Inside(viaRef);
        }
        if (IsCommitName(revision) && Path.Combine(snapshots, revision) is var exact && Directory.Exists(exact)) return Inside(exact);
        return Directory.EnumerateDirectories(snapshots)
            .Where(d => Path.GetFileName(d).StartsWith(revision, StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).Select(Inside).FirstOrDefault();
    }

    /// <summary>A commit (snapshot folder name): one path segment of letters, digits, '.', '_' or '-', not '.' or '..'.</summary>
    public static bool IsCommitName(string name) =>
        name.Length is > 0 and <= 128 && name is not ("." or "..") && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary><paramref name="name"/> when it is a commit name, else a refusal naming where it came from.</summary>
    public static string CommitName(string name, string source) =>
        IsCommitName(name) ? name : throw new BadInputException("a commit must be one folder name inside the cache's snapshots/ (letters, digits, '.', '_', '-')", source, "commit", name);

    /// <summary><paramref name="path"/>, after checking that it, with every link on the way resolved, lies inside the cache.</summary>
    public string Inside(string path)
    {
        var root = SafePath.Real(Root);
        var real = SafePath.Real(path);
        if (!SafePath.IsWithin(root, real))
            throw new BadInputException($"points outside the Hugging Face cache {root}", path, "link target", real);
        return path;
    }

    /// <summary>The cached copy of one file, or null.</summary>
    public string? FindFile(string repoId, string kind, string revision, string path) =>
        Snapshot(repoId, kind, revision) is { } snap && SafePath.Combine(snap, path, repoId) is var full && File.Exists(full) ? Inside(full) : null;

    /// <summary>Relative paths of the cached files of a snapshot that match any of <paramref name="include"/> (globs with <c>*</c> and <c>**</c>).</summary>
    public IReadOnlyList<string> CachedFiles(string repoId, string kind, string revision, IReadOnlyList<string> include)
    {
        if (Snapshot(repoId, kind, revision) is not { } snap) return [];
        return Directory.EnumerateFiles(snap, "*", SearchOption.AllDirectories)
            .Select(Inside)
            .Select(f => Path.GetRelativePath(snap, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(p => Glob.MatchesAny(include, p))
            .Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The cached Parquet files of a manifest's config, sorted (what a pipeline stage reads).</summary>
    public IReadOnlyList<string> ParquetFiles(Manifest m, string? config = null)
    {
        var include = config is null ? m.Configs.SelectMany(c => c.Include).ToList() : m.Config(config).Include;
        var snap = Snapshot(m.RepoId, m.Kind, m.EffectiveRevision);
        return snap is null ? [] : CachedFiles(m.RepoId, m.Kind, m.EffectiveRevision, include)
            .Where(p => p.EndsWith(".parquet", StringComparison.Ordinal)).Select(p => Path.Combine(snap, p)).ToList();
    }
}

/// <summary>Glob patterns of the Hub's <c>--include</c> style: <c>*</c> within one path segment, <c>**</c> across segments.</summary>
public static class Glob
{
    public static bool Matches(string pattern, string path) => ToRegex(pattern).IsMatch(path);

    public static bool MatchesAny(IEnumerable<string> patterns, string path) => patterns.Any(p => Matches(p, path));

    static Regex ToRegex(string pattern)
    {
        var rx = Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]");
        return new Regex("^" + rx + "$", RegexOptions.CultureInvariant);
    }
}
