namespace SafetyNotebooks.Evaluation;

/// <summary>
/// Finds files of a dataset already in the local Hugging Face cache (<c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>,
/// else <c>~/.cache/huggingface/hub</c>). Nothing is downloaded.
/// </summary>
public static class HubCache
{
    public static string Root() =>
        Environment.GetEnvironmentVariable("HF_HUB_CACHE") is { Length: > 0 } hub ? hub
        : Environment.GetEnvironmentVariable("HF_HOME") is { Length: > 0 } home ? Path.Combine(home, "hub")
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");

    /// <summary>
    /// The data files (.parquet, .jsonl, .json) of dataset <paramref name="repoId"/> in the snapshot that <c>refs/main</c>
    /// points to (or the only snapshot), sorted by path; files whose path names <paramref name="split"/> are preferred.
    /// </summary>
    public static IReadOnlyList<string> DatasetFiles(string repoId, string split = "train", string? cacheRoot = null)
    {
        var root = cacheRoot ?? Root();
        var repoDir = Path.Combine(root, "datasets--" + repoId.Replace("/", "--"));
        var snapshots = Path.Combine(repoDir, "snapshots");
        if (!Directory.Exists(snapshots))
            throw new BadInputException($"dataset {repoId} is not in the Hugging Face cache (download it with `huggingface-cli download --repo-type dataset {repoId}` or pass a file)", root);
        var refMain = Path.Combine(repoDir, "refs", "main");
        string snapshot;
        if (File.Exists(refMain))
            snapshot = SafePath.Combine(snapshots, File.ReadAllText(refMain).Trim(), refMain);
        else
        {
            var dirs = Directory.GetDirectories(snapshots);
            snapshot = dirs.Length == 1 ? dirs[0]
                : throw new BadInputException($"{dirs.Length} snapshots and no refs/main; pass a file instead", snapshots);
        }
        var files = Directory.EnumerateFiles(snapshot, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".parquet" or ".jsonl" or ".json")
            .Where(f => !Path.GetFileName(f).StartsWith('.') && Path.GetFileName(f) != "dataset_infos.json")
            .Order(StringComparer.Ordinal).ToList();
        var ofSplit = files.Where(f => Path.GetRelativePath(snapshot, f).Contains(split, StringComparison.OrdinalIgnoreCase)).ToList();
        var chosen = ofSplit.Count > 0 ? ofSplit : files;
        return chosen.Count > 0 ? chosen : throw new BadInputException("no .parquet/.jsonl/.json data files in the cached snapshot", snapshot);
    }
}
